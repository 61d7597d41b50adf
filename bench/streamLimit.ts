import { probeDecodeCost } from '../agent/capacity/probeDecodeCost.js';
import { measureInferenceCost } from '../agent/capacity/measureInferenceCost.js';
import { loadDetector } from '../agent/inference/loadDetector.js';
import type { Logger } from '../agent/observe/logger.js';
import { camerasAt } from '../pipelines/capacity/capacityEstimate.js';
import { sessionSettingsFor, inferenceSchema } from '../pipelines/config/inferenceSchema.js';
import { cameraSchema } from '../pipelines/config/siteConfig.js';
import { computeLetterbox } from '../pipelines/detect/letterbox.js';
import { benchSite } from './benchSite.js';
import type { BenchStream } from './benchStream.js';
import { round } from './stats.js';

export interface StreamLimit {
  /** CPU-seconds the agent's ffmpeg spends per second of this stream */
  readonly decodeCpuPerSecond: number;
  /** CPU-seconds of one detect() (preprocess, model, post-process), the agent's session settings */
  readonly inferenceCpuSeconds: number;
  readonly inferenceWallMsP50: number;
  /** cores / (decode + fps x inference): what `c5-agent capacity` predicts for this box */
  readonly limitCameras: number;
}

/**
 * The box's own limit for cameras of this stream, measured in the bench run itself and exactly as
 * `c5-agent capacity` measures it (agent/capacity/): one camera's ffmpeg, started with the agent's
 * arguments on the bench's camera config, decodes `seconds` of the stream while its CPU time is
 * read from /proc; the model, loaded with the agent's default session settings, is timed on a
 * frame of that stream.
 */
export async function measureStreamLimit(options: {
  readonly stream: BenchStream;
  readonly ffmpegPath: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cameraFps: number;
  readonly cores: number;
  readonly seconds: number;
  readonly logger: Logger;
}): Promise<StreamLimit> {
  const { stream } = options;
  const site = benchSite({
    cameras: 1,
    clipPath: stream.url,
    stream: !stream.isFile,
    realtime: true,
    analyticsFps: options.cameraFps,
    motion: false,
    brokerUrl: 'mqtt://127.0.0.1:1',
    protocolVersion: 5,
    metricsPort: 0,
    stateDir: '/nonexistent',
  });
  const camera = cameraSchema.parse(site.cameras![0]);
  const detector = await loadDetector({
    name: camera.model,
    env: options.env,
    sessionOptions: sessionSettingsFor(inferenceSchema.parse({}), camera.model),
    logger: options.logger,
  });
  try {
    const { inputWidth: width, inputHeight: height } = detector.model;
    const probe = await probeDecodeCost({
      camera,
      sourceUrl: stream.url,
      ffmpegPath: options.ffmpegPath,
      inputWidth: width,
      inputHeight: height,
      seconds: options.seconds,
      timeoutMs: (3 * options.seconds + 30) * 1000,
    });
    if (!probe.ok) throw new Error(`bench: cannot measure the decoding of ${stream.url}: ${probe.failure.reason}: ${probe.failure.detail}`);
    const frame = {
      cameraId: camera.id,
      seq: 1,
      captureTime: 0,
      width,
      height,
      pixels: probe.sample,
      letterbox: computeLetterbox(width, height, width, height),
    };
    const inference = await measureInferenceCost(detector, frame, camera.detection, 60);
    return {
      decodeCpuPerSecond: round(probe.decodeCpuPerSecond, 4),
      inferenceCpuSeconds: round(inference.cpuSeconds, 5),
      inferenceWallMsP50: round(inference.wallMsP50, 2),
      limitCameras: camerasAt(options.cores, options.cameraFps, probe.decodeCpuPerSecond, inference.cpuSeconds),
    };
  } finally {
    await detector.stop();
  }
}
