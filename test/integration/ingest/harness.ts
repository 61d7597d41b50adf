import { systemClock } from '../../../agent/clock.js';
import { FfmpegFrameSource, type FfmpegFrameSourceDeps, type IngestTimings } from '../../../agent/ingest/FfmpegFrameSource.js';
import { resolveFfmpegPath } from '../../../agent/ingest/resolveFfmpegPath.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { cameraSchema } from '../../../pipelines/config/siteConfig.js';
import { RecordingListener } from '../../helpers/recordingListener.js';

export const INPUT = 416;

export interface SourceUnderTest {
  source: FfmpegFrameSource;
  listener: RecordingListener;
  logs: string[];
}

const running: FfmpegFrameSource[] = [];

/** Stops every source started through startSource; call from afterEach. */
export async function stopAllSources(): Promise<void> {
  await Promise.all(running.splice(0).map((source) => source.stop()));
}

/** A real FfmpegFrameSource on the system ffmpeg and clock, recording what it reports. */
export function startSource(options: {
  url: string;
  transport?: 'tcp' | 'udp';
  loop?: boolean;
  realtime?: boolean;
  analyticsFps?: number;
  stallTimeoutSeconds?: number;
  ffmpegPath?: string;
  random?: () => number;
  timings?: Partial<IngestTimings>;
  hwDecode?: string;
  deps?: Pick<FfmpegFrameSourceDeps, 'hwDecodeCapabilities' | 'metrics'>;
  listener?: RecordingListener;
}): SourceUnderTest {
  const logs: string[] = [];
  const logger = createRootLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } });
  const camera = cameraSchema.parse({
    id: 'cam-it',
    source: {
      url: 'env:UNUSED',
      transport: options.transport ?? 'tcp',
      loop: options.loop ?? false,
      realtime: options.realtime ?? true,
      hwDecode: options.hwDecode ?? 'none',
    },
    analyticsFps: options.analyticsFps ?? 5,
    stallTimeoutSeconds: options.stallTimeoutSeconds ?? 2,
  });
  const source = new FfmpegFrameSource({
    camera,
    sourceUrl: options.url,
    ffmpegPath: options.ffmpegPath ?? resolveFfmpegPath({ env: process.env, logger }),
    inputWidth: INPUT,
    inputHeight: INPUT,
    clock: systemClock,
    logger,
    random: options.random ?? (() => 1),
    timings: options.timings ?? {},
    ...options.deps,
  });
  running.push(source);
  const listener = options.listener ?? new RecordingListener();
  source.start(listener);
  return { source, listener, logs };
}
