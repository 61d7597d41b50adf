import { availableParallelism } from 'node:os';
import { camerasAt, estimateCapacity, type CapacityEstimate } from '../../pipelines/capacity/capacityEstimate.js';
import { sessionSettingsFor } from '../../pipelines/config/inferenceSchema.js';
import type { CameraConfig } from '../../pipelines/config/siteConfig.js';
import { computeLetterbox } from '../../pipelines/detect/letterbox.js';
import { AgentError } from '../../pipelines/errors.js';
import type { Detector } from '../../pipelines/stages.js';
import { quoteUntrusted } from '../../pipelines/untrustedText.js';
import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { loadSiteConfigFile } from '../config/loadSiteConfig.js';
import { resolveSecret } from '../config/resolveSecret.js';
import { loadDetector } from '../inference/loadDetector.js';
import { hardwareDecodingFor } from '../ingest/hardwareDecodingFor.js';
import { resolveFfmpegPath } from '../ingest/resolveFfmpegPath.js';
import { redactUrl, redactUrlsInText } from '../observe/logger.js';
import { measureInferenceCost, type InferenceCost } from './measureInferenceCost.js';
import { probeDecodeCost, type DecodeProbe } from './probeDecodeCost.js';

export interface CapacityOptions {
  readonly config: string;
  /** seconds of each camera's video to measure (default 5) */
  readonly seconds?: number;
  /** the box's cores, when the agent is given fewer than the machine has (a container's CPU quota) */
  readonly cores?: number;
  readonly json?: boolean;
}

export const DEFAULT_PROBE_SECONDS = 5;
/** inferences timed per model */
const INFERENCE_RUNS = 30;
/** the analytics rates the planner's table shows, besides each camera's own */
const TABLE_FPS = [1, 2, 5, 10] as const;

interface CameraProbe {
  readonly camera: CameraConfig;
  readonly source: string;
  readonly probe: DecodeProbe;
}

/**
 * `c5-agent capacity`: how many cameras this box holds. Each enabled camera's stream is decoded
 * for a few seconds with the agent's own ffmpeg arguments and its CPU time read from /proc; each
 * model is timed on a frame from those streams with the site's session settings; the limit is
 * cores / (decode + fps x inference) (pipelines/capacity/capacityEstimate.ts), the same estimate
 * the running agent exports as c5_agent_capacity_load_ratio. Exit 0 within capacity, 1 over it
 * or when a camera or model could not be measured.
 */
export async function capacityCommand(options: CapacityOptions, io: CommandIo): Promise<number> {
  const seconds = options.seconds ?? DEFAULT_PROBE_SECONDS;
  const cores = options.cores ?? availableParallelism();
  if (!(cores > 0)) throw new AgentError('usage', `--cores must be above 0, got ${cores}`);
  const { config } = loadSiteConfigFile(options.config, io.env, { resolveSecrets: false });
  const logger = io.logger.child({ component: 'capacity' });
  const ffmpegPath = resolveFfmpegPath({ configured: config.ffmpegPath, env: io.env, logger });
  const cameras = config.cameras.filter((camera) => camera.enabled);
  const say = (line: string): void => void io.err.write(`capacity: ${line}\n`);

  const detectors = new Map<string, Detector>();
  try {
    for (const name of new Set(cameras.map((camera) => camera.model))) {
      detectors.set(
        name,
        await loadDetector({ name, env: io.env, sessionOptions: sessionSettingsFor(config.inference, name), logger: logger.child({ component: 'inference' }) }),
      );
    }
    const probes: CameraProbe[] = [];
    // One camera at a time: probes running together would measure each other.
    for (const camera of cameras) {
      const index = config.cameras.indexOf(camera);
      const sourceUrl = resolveSecret(camera.source.url, `cameras[${index}].source.url`, io.env);
      const detector = detectors.get(camera.model)!;
      say(`decoding ${seconds} s of camera ${camera.id} (${redactUrl(sourceUrl)}) at ${camera.analyticsFps} fps`);
      const hw = await hardwareDecodingFor(camera, ffmpegPath, logger.child({ camera: camera.id }));
      const probe = await probeDecodeCost({
        camera,
        sourceUrl,
        ffmpegPath,
        inputWidth: detector.model.inputWidth,
        inputHeight: detector.model.inputHeight,
        hwDecode: hw?.plan,
        seconds,
        timeoutMs: (3 * seconds + 2 * camera.stallTimeoutSeconds + 10) * 1000,
      });
      probes.push({ camera, source: redactUrl(sourceUrl), probe });
    }

    const inference = new Map<string, InferenceCost>();
    for (const [name, detector] of detectors) {
      const measured = probes.find(({ camera, probe }) => camera.model === name && probe.ok);
      if (!measured?.probe.ok) continue;
      const { inputWidth: width, inputHeight: height } = detector.model;
      const frame = {
        cameraId: measured.camera.id,
        seq: 1,
        captureTime: 0,
        width,
        height,
        pixels: measured.probe.sample,
        letterbox: computeLetterbox(width, height, width, height),
      };
      say(`timing ${INFERENCE_RUNS} inferences of ${name}`);
      inference.set(name, await measureInferenceCost(detector, frame, measured.camera.detection, INFERENCE_RUNS));
    }
    const report = capacityReport(cores, probes, inference);
    io.out.write(options.json === true ? `${JSON.stringify(report.json, null, 2)}\n` : report.text);
    return report.ok ? EXIT.ok : EXIT.failure;
  } finally {
    for (const detector of detectors.values()) await detector.stop();
  }
}

interface CapacityReport {
  readonly ok: boolean;
  readonly text: string;
  readonly json: unknown;
}

function capacityReport(cores: number, probes: readonly CameraProbe[], inference: ReadonlyMap<string, InferenceCost>): CapacityReport {
  const failed = probes.filter(({ camera, probe }) => !probe.ok || !inference.has(camera.model));
  const measured = probes.flatMap(({ camera, probe }) => (probe.ok && inference.has(camera.model) ? [{ camera, probe }] : []));
  const estimate = estimateCapacity({
    cores,
    cameras: measured.map(({ camera, probe }) => ({
      id: camera.id,
      fps: camera.analyticsFps,
      decodeCpuPerSecond: probe.decodeCpuPerSecond,
      inferenceCpuSeconds: inference.get(camera.model)!.cpuSeconds,
    })),
  });
  const lines: string[] = [];
  const fixed = (value: number, digits: number): string => value.toFixed(digits);
  for (const [name, cost] of inference) {
    lines.push(`model ${name}: ${fixed(cost.wallMsP50, 1)} ms an inference (median of ${cost.runs}), ${fixed(cost.cpuSeconds * 1000, 1)} ms of CPU`);
  }
  lines.push('', ['camera', 'fps', 'decode CPU-s per s', 'cores used', 'cameras like it'].join('\t'));
  for (const [i, { camera, probe }] of measured.entries()) {
    const demand = estimate.cameras[i]!;
    lines.push([camera.id, String(camera.analyticsFps), fixed(probe.decodeCpuPerSecond, 4), fixed(demand.cores, 3), String(demand.limit)].join('\t'));
  }
  for (const { camera, source, probe } of failed) {
    const why = probe.ok
      ? `model ${camera.model} could not be timed`
      : `${probe.failure.reason}: ${quoteUntrusted(redactUrlsInText(probe.failure.detail), 300)}`;
    lines.push(`${camera.id}\tnot measured (${source}): ${why}`);
  }
  lines.push('');
  lines.push(verdict(cores, estimate, probes.length, failed.length));
  const average = averageCamera(measured, inference);
  if (average) {
    const table = TABLE_FPS.map((fps) => `${camerasAt(cores, fps, average.decode, average.inferenceCpu)} at ${fps} fps`);
    lines.push(`cameras like the average one this box holds: ${table.join(', ')}`);
  }
  const json = {
    cores,
    models: Object.fromEntries([...inference].map(([name, cost]) => [name, cost])),
    cameras: measured.map(({ camera, probe }, i) => ({
      id: camera.id,
      fps: camera.analyticsFps,
      decodeCpuPerSecond: probe.decodeCpuPerSecond,
      videoSeconds: probe.videoSeconds,
      cores: estimate.cameras[i]!.cores,
      limit: estimate.cameras[i]!.limit,
    })),
    failed: failed.map(({ camera, probe }) => ({ id: camera.id, reason: probe.ok ? 'model_not_timed' : probe.failure.reason })),
    demandCores: estimate.demandCores,
    loadRatio: estimate.loadRatio,
    limitCameras: estimate.limitCameras,
    overCapacity: estimate.overCapacity,
  };
  return { ok: failed.length === 0 && !estimate.overCapacity, text: `${lines.join('\n')}\n`, json };
}

function verdict(cores: number, estimate: CapacityEstimate, cameras: number, failed: number): string {
  const share = `${estimate.demandCores.toFixed(2)} of ${cores} cores (${Math.round(estimate.loadRatio * 100)} %)`;
  const unmeasured = failed > 0 ? `; ${failed} of ${cameras} cameras not measured` : '';
  if (estimate.overCapacity) {
    return `OVER CAPACITY: the config asks for ${share}; this box holds about ${estimate.limitCameras} cameras like these, the config has ${cameras}${unmeasured}`;
  }
  return `within capacity: the config asks for ${share}; this box holds about ${estimate.limitCameras} cameras like these${unmeasured}`;
}

function averageCamera(
  measured: readonly { camera: CameraConfig; probe: Extract<DecodeProbe, { ok: true }> }[],
  inference: ReadonlyMap<string, InferenceCost>,
): { decode: number; inferenceCpu: number } | undefined {
  if (measured.length === 0) return undefined;
  const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
  return {
    decode: mean(measured.map(({ probe }) => probe.decodeCpuPerSecond)),
    inferenceCpu: mean(measured.map(({ camera }) => inference.get(camera.model)!.cpuSeconds)),
  };
}
