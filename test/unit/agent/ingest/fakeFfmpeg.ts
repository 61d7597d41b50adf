import type { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { FfmpegFrameSource, type FfmpegFrameSourceDeps, type IngestTimings } from '../../../../agent/ingest/FfmpegFrameSource.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { cameraSchema } from '../../../../pipelines/config/siteConfig.js';
import { ManualClock } from '../../../helpers/manualClock.js';
import { RecordingListener } from '../../../helpers/recordingListener.js';

/** A scripted ffmpeg child and a FfmpegFrameSource wired to it, on a manual clock. */

export const W = 8;
export const H = 8;
export const FRAME = W * H * 3;
export const URL_WITH_SECRET = 'rtsp://admin:hunter2@10.1.2.3:554/stream?token=abc123';
export const HEADER = `Input #0, rtsp, from '${URL_WITH_SECRET}':
  Stream #0:0: Video: h264 (Main), yuv420p(progressive), 16x12, 25 fps
Output #0, rawvideo, to 'pipe:1':
  Stream #0:0: Video: rawvideo, bgr24, 8x8, 5 fps
`;

export class FakeChild extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  pid: number | undefined = 4242;
  readonly signals: string[] = [];
  ignoreSigterm = false;
  private done = false;

  kill(signal: string): boolean {
    this.signals.push(signal);
    if (!(this.ignoreSigterm && signal === 'SIGTERM')) void this.exit(null, signal);
    return true;
  }

  async exit(code: number | null, signal: string | null = null): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.stdout.end();
    this.stderr.end();
    await tick();
    this.emit('exit', code, signal);
    this.emit('close', code, signal);
  }
}

export const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface Harness {
  source: FfmpegFrameSource;
  clock: ManualClock;
  listener: RecordingListener;
  children: FakeChild[];
  argsSeen: string[][];
  logs: string[];
  child(): FakeChild;
}

const sources: FfmpegFrameSource[] = [];

/** Stops every source harness() made; call from afterEach. */
export async function stopHarnessSources(): Promise<void> {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
}

export interface HarnessOptions {
  random?: number;
  timings?: Partial<IngestTimings>;
  spawnImpl?: () => FakeChild;
  stall?: number;
  /** camera `source` settings besides the url (hwDecode, codec, ...) */
  source?: Record<string, unknown>;
  deps?: Pick<FfmpegFrameSourceDeps, 'hwDecodeCapabilities' | 'metrics'>;
}

export function harness(options: HarnessOptions = {}): Harness {
  const clock = new ManualClock();
  const listener = new RecordingListener();
  const children: FakeChild[] = [];
  const argsSeen: string[][] = [];
  const logs: string[] = [];
  const fakeSpawn = ((_cmd: string, args: string[]) => {
    argsSeen.push(args);
    const child = options.spawnImpl ? options.spawnImpl() : new FakeChild();
    children.push(child);
    return child;
  }) as unknown as typeof spawn;
  const camera = cameraSchema.parse({
    id: 'cam-1',
    source: { url: 'env:CAM', ...options.source },
    analyticsFps: 5,
    stallTimeoutSeconds: options.stall ?? 5,
  });
  const source = new FfmpegFrameSource({
    camera,
    sourceUrl: URL_WITH_SECRET,
    ffmpegPath: '/usr/bin/ffmpeg',
    inputWidth: W,
    inputHeight: H,
    clock,
    logger: createRootLogger({ level: 'debug', destination: { write: (l: string) => void logs.push(l) } }),
    spawn: fakeSpawn,
    random: () => options.random ?? 1,
    timings: options.timings ?? {},
    ...options.deps,
  });
  sources.push(source);
  return { source, clock, listener, children, argsSeen, logs, child: () => children[children.length - 1]! };
}

export async function sendFrames(child: FakeChild, count: number, chunk = 37): Promise<void> {
  const bytes = new Uint8Array(FRAME * count).map((_, i) => i & 0xff);
  for (let i = 0; i < bytes.length; i += chunk) child.stdout.write(bytes.subarray(i, i + chunk));
  await tick();
}
