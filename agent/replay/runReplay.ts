import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { v7 as uuidv7 } from 'uuid';
import type { CameraConfig, SiteConfig } from '../../pipelines/config/siteConfig.js';
import { AgentError, ConfigError, IngestError, ModelError } from '../../pipelines/errors.js';
import type { AlertSink, ModelInfo } from '../../pipelines/stages.js';
import { CameraSupervisor } from '../CameraSupervisor.js';
import { systemClock, type Clock } from '../clock.js';
import { loadSiteConfigFile } from '../config/loadSiteConfig.js';
import { loadDetector } from '../inference/loadDetector.js';
import { resolveFfmpegPath } from '../ingest/resolveFfmpegPath.js';
import type { Logger } from '../observe/logger.js';
import { createAgentMetrics } from '../observe/metrics.js';
import { ProgressReporter, type ProgressStream } from '../observe/ProgressReporter.js';
import { DecisionFileWriter } from './DecisionFileWriter.js';
import { ReplayFrameSource } from './ReplayFrameSource.js';

export interface ReplayOptions {
  readonly configPath: string;
  /** may be left out when the config has one camera */
  readonly cameraId?: string;
  readonly input: string;
  /** the decisions file, one JSON line per decision; replaced if it exists */
  readonly out: string;
  /** where the tracker's live tracks go, one JSON line per processed frame; none when left out */
  readonly tracksOut?: string;
  /** epoch ms of the clip's first frame (schedules are judged against it) */
  readonly startTime: number;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  readonly version: string;
  /** frames done, rate and ETA; default stderr, null for none. Never the decisions file or stdout. */
  readonly progress?: ProgressStream | null;
  /** times the progress; default the system clock */
  readonly clock?: Clock;
}

export interface ReplaySummary {
  readonly camera: string;
  readonly frames: number;
  readonly processed: number;
  readonly dropped: number;
  readonly failed: number;
  readonly decisions: number;
  readonly alerts: number;
  readonly seconds: number;
  readonly model?: ModelInfo;
  readonly config: { readonly version: number; readonly sha256: string };
}

/** Replay publishes nothing: alerts are built (so the pipeline runs exactly as live) and dropped. */
const discardingSink: AlertSink = {
  publish: async () => undefined,
  stop: async () => undefined,
};

function pickCamera(config: SiteConfig, cameraId: string | undefined, path: string): CameraConfig {
  const ids = config.cameras.map((camera) => camera.id);
  if (cameraId === undefined && config.cameras.length === 1) return config.cameras[0]!;
  if (cameraId === undefined) throw new AgentError('usage', `${path} has ${ids.length} cameras; choose one with --camera (${ids.join(', ')})`);
  const camera = config.cameras.find((c) => c.id === cameraId);
  if (!camera) throw new ConfigError('replay_unknown_camera', `no camera "${cameraId}" in ${path}; cameras: ${ids.join(', ')}`);
  return camera;
}

/**
 * `c5-agent replay`: one camera of a site config over a recorded clip, through the agent's own
 * supervisor and camera pipeline (same detector, tracker and policy as live), with the frame
 * source swapped for one that reads the clip as fast as it can and never drops a frame, and
 * the audit log swapped for the decisions file.
 */
export async function runReplay(options: ReplayOptions): Promise<ReplaySummary> {
  const { env, logger, input, startTime } = options;
  const loaded = loadSiteConfigFile(options.configPath, env, { resolveSecrets: false });
  const camera = { ...pickCamera(loaded.config, options.cameraId, options.configPath), enabled: true };
  if (!existsSync(input)) throw new IngestError('replay_input_missing', `replay input ${input} does not exist`);
  const ffmpegPath = resolveFfmpegPath({ configured: loaded.config.ffmpegPath, env, logger });
  const metrics = createAgentMetrics({ siteId: loaded.config.site.id, version: options.version, configVersion: loaded.config.version, defaultMetrics: false });
  const writer = new DecisionFileWriter(options.out, { tracksPath: options.tracksOut });
  const progress = new ProgressReporter({
    stream: options.progress === undefined ? process.stderr : options.progress,
    label: `replay ${camera.id}`,
    unit: 'frames',
    clock: options.clock ?? systemClock,
  });

  let source: ReplayFrameSource | undefined;
  const agent: CameraSupervisor = new CameraSupervisor({
    loaded: { ...loaded, config: { ...loaded.config, cameras: [camera] } },
    clock: systemClock,
    logger,
    metrics,
    sink: discardingSink,
    publishCameraStatus: () => undefined,
    isBrokerConnected: () => false,
    createFrameSource: (cam, model) =>
      (source = new ReplayFrameSource({
        camera: cam,
        input,
        ffmpegPath,
        inputWidth: model.inputWidth,
        inputHeight: model.inputHeight,
        startTime,
        drained: () => agent.idle(cam.id),
        logger,
        progress,
      })),
    loadDetector: (name) => loadDetector({ name, env, logger: logger.child({ component: 'inference' }) }),
    newAlertId: () => uuidv7(),
    recorder: writer,
  });

  const started = performance.now();
  let frames: number;
  try {
    await agent.start();
    if (!source) throw new ModelError('replay_model_unavailable', `model ${camera.model} could not be loaded (see the log above)`);
    frames = (await source.done).frames;
    await agent.idle(camera.id);
    progress.finish();
  } finally {
    progress.abandon();
    await agent.stop();
    writer.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const counts = new Map((await metrics.framesTotal.get()).values.map((v) => [v.labels.outcome, v.value]));
  return {
    camera: camera.id,
    frames,
    processed: counts.get('processed') ?? 0,
    dropped: counts.get('dropped') ?? 0,
    failed: counts.get('failed') ?? 0,
    decisions: writer.decisions,
    alerts: writer.alerts,
    seconds,
    model: agent.loadedModels()[0],
    config: { version: loaded.config.version, sha256: loaded.sha256 },
  };
}

export function formatReplaySummary(summary: ReplaySummary, out: string): string {
  const fps = summary.seconds > 0 ? (summary.processed / summary.seconds).toFixed(1) : '-';
  const model = summary.model ? `${summary.model.name} sha256 ${summary.model.sha256.slice(0, 12)}...` : 'no model';
  return (
    `replay: camera ${summary.camera}, config version ${summary.config.version} sha256 ${summary.config.sha256.slice(0, 12)}..., ${model}\n` +
    `replay: ${summary.frames} frames (${summary.processed} processed, ${summary.dropped} dropped, ${summary.failed} failed) in ${summary.seconds.toFixed(1)} s (${fps} fps)\n` +
    `replay: ${summary.decisions} decisions (${summary.alerts} alerts) written to ${out}\n`
  );
}
