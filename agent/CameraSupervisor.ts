import type { AlertContext } from '../pipelines/alerts.js';
import { changesPolicy, startedCameras, type SiteConfigDiff } from '../pipelines/config/diffSiteConfig.js';
import type { CameraConfig } from '../pipelines/config/siteConfig.js';
import { toError } from '../pipelines/errors.js';
import { RulePolicy } from '../pipelines/policy.js';
import type { AlertSink, CameraStatus, Detector, FrameSource, ModelInfo, Policy } from '../pipelines/stages.js';
import { ByteTracker, createTrackIdSource, type TrackIdSource } from '../pipelines/track/ByteTracker.js';
import { trackerOptionsFor } from '../pipelines/track/trackerOptions.js';
import { CameraPipeline, type CameraPipelineDeps, type PipelineMetrics } from './CameraPipeline.js';
import type { Clock } from './clock.js';
import { InferenceScheduler } from './inference/InferenceScheduler.js';
import type { LoadedSiteConfig } from './config/loadSiteConfig.js';
import type { AgentRecorder } from './audit/DecisionRecorder.js';
import type { Logger } from './observe/logger.js';

/** What the supervisor records into; the agent's prom-client metrics satisfy it. */
export interface SupervisorMetrics extends PipelineMetrics {
  readonly cameraUp: { set(labels: { camera: string }, value: number): void };
}

export interface CameraSupervisorDeps {
  readonly loaded: LoadedSiteConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: SupervisorMetrics;
  readonly sink: AlertSink;
  /** publishes retained camera status; the link re-sends the latest after each reconnect */
  readonly publishCameraStatus: (status: CameraStatus) => void;
  readonly isBrokerConnected: () => boolean;
  /** the per-agent alert seq; the outbox persists it, so it keeps rising across restarts (without it: from 1, in memory) */
  readonly nextAlertSeq?: () => number;
  /** whether the durable outbox can take alerts now; without an outbox the agent is ready only while connected */
  readonly isOutboxWritable?: () => boolean;
  readonly createFrameSource: (camera: CameraConfig, model: ModelInfo) => FrameSource;
  readonly loadDetector: (modelName: string) => Promise<Detector>;
  readonly newAlertId: () => string;
  /** decisions, model loads and config changes go here (the audit log; replay's decisions file) */
  readonly recorder?: AgentRecorder;
}

export interface Readiness {
  readonly ready: boolean;
  readonly reasons: string[];
}

/**
 * Builds one pipeline per enabled camera and keeps them running. A camera whose model cannot be
 * loaded, or whose stream fails, is reported offline with its reason; the others carry on.
 */
export class CameraSupervisor {
  private readonly deps: CameraSupervisorDeps;
  private readonly pipelines = new Map<string, CameraPipeline>();
  private readonly statuses = new Map<string, CameraStatus>();
  private readonly detectors = new Map<string, Detector>();
  /** one per loaded model: its cameras take turns on it, latest frame wins per camera */
  private readonly schedulers = new Map<string, InferenceScheduler>();
  private alertSeq = 0;
  /** per camera, kept across pipeline restarts: a track id is never reused while the process lives */
  private readonly trackIds = new Map<string, TrackIdSource>();
  /** the config in effect: the one started with, then each one applied */
  private current: LoadedSiteConfig;
  private configApplied = false;
  private stopping: Promise<void> | undefined;

  constructor(deps: CameraSupervisorDeps) {
    this.deps = deps;
    this.current = deps.loaded;
  }

  async start(): Promise<void> {
    const cameras = this.current.config.cameras.filter((camera) => camera.enabled);
    await this.loadModels(new Set(cameras.map((camera) => camera.model)));
    this.startSpread(cameras);
    this.configApplied = true;
  }

  /**
   * Starts cameras spread evenly over one frame interval of the fastest of them. Decoders started
   * in the same instant keep delivering in the same instant when their pace is set from their
   * start (files, loops, streams re-served on demand): every frame the last camera in turn then
   * waits for all the others, and an idle model waits for the next burst. It also spreads
   * ffmpeg's start-up work. At most one frame interval (200 ms at 5 fps) to the last camera.
   */
  private startSpread(cameras: readonly CameraConfig[]): void {
    const fastest = Math.max(...cameras.map((camera) => camera.analyticsFps));
    const spacingMs = cameras.length > 1 ? 1000 / fastest / cameras.length : 0;
    cameras.forEach((camera, index) => this.startCamera(camera, index * spacingMs));
  }

  readiness(): Readiness {
    const reasons: string[] = [];
    if (this.detectors.size === 0) reasons.push('no_model_loaded');
    const online = [...this.statuses.values()].filter((status) => status.state === 'online').length;
    if (!this.configApplied) reasons.push('config_not_applied');
    if (online === 0) reasons.push('no_camera_online');
    // Alerts are safe while either path works: delivered now, or kept durably until the broker is back.
    if (!this.deps.isBrokerConnected() && !(this.deps.isOutboxWritable?.() ?? false)) {
      reasons.push('mqtt_disconnected', 'outbox_not_writable');
    }
    return { ready: reasons.length === 0, reasons };
  }

  /** Resolves when the camera's pipeline has no frame in flight (replay paces its reader on it). */
  idle(cameraId: string): Promise<void> {
    return this.pipelines.get(cameraId)?.idle() ?? Promise.resolve();
  }

  /** The models loaded now, for `c5_agent_info`. */
  loadedModels(): ModelInfo[] {
    return [...this.detectors.values()].map((detector) => detector.model);
  }

  cameraStatuses(): CameraStatus[] {
    return [...this.statuses.values()];
  }

  /** Idempotent: stops intake on every camera, waits for frames in flight, releases the models. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([...this.pipelines.values()].map((pipeline) => pipeline.stop()));
      await Promise.all([...this.detectors.values()].map((detector) => detector.stop()));
    })();
    return this.stopping;
  }

  /** The config in effect: the one started with, or the last one applied. */
  get loaded(): LoadedSiteConfig {
    return this.current;
  }

  /**
   * Moves the running site to `next` as `diff` says: removed and restarted cameras stop,
   * reconfigured ones take their new policy in place (no gap in frames, tracks kept), every
   * running camera's alerts carry the new config version, added and restarted cameras start, and
   * models no camera uses any more are released. A camera whose model cannot load stays offline
   * with its reason, as at start; the caller's probation decides whether that is acceptable.
   */
  async applyConfig(next: LoadedSiteConfig, diff: SiteConfigDiff): Promise<void> {
    if (this.stopping) return;
    this.current = next;
    this.deps.recorder?.configApplied(next, 'fleet');
    const cameras = new Map(next.config.cameras.map((camera) => [camera.id, camera]));
    await Promise.all([...diff.removed, ...diff.restarted.map((change) => change.id)].map((id) => this.stopCamera(id)));
    for (const id of diff.removed) {
      this.report({ cameraId: id, state: 'offline', reason: 'removed', detail: `not in config version ${next.config.version}`, since: this.deps.clock.now() });
    }
    await this.loadModels(new Set(diff.modelsToLoad));
    const newPolicy = new Set(diff.reconfigured.filter(changesPolicy).map((change) => change.id));
    for (const [id, pipeline] of this.pipelines) {
      const camera = cameras.get(id);
      const detector = camera && this.detectors.get(camera.model);
      if (!camera || !detector) continue;
      pipeline.reconfigure({
        camera,
        alertContext: this.alertContextFor(camera, detector),
        ...(newPolicy.has(id) ? this.policyParts(camera, pipeline.policy) : {}),
      });
    }
    this.startSpread(startedCameras(diff).flatMap((id) => cameras.get(id) ?? []));
    for (const model of diff.modelsToRelease) {
      const detector = this.detectors.get(model);
      this.detectors.delete(model);
      this.schedulers.delete(model);
      await detector?.stop();
    }
  }

  /** Frames the camera's current pipeline has received, and its last status: what a probation judges. */
  cameraProgress(cameraId: string): { frames: number; status: CameraStatus | undefined } {
    return { frames: this.pipelines.get(cameraId)?.framesReceived ?? 0, status: this.statuses.get(cameraId) };
  }

  private async loadModels(names: ReadonlySet<string>): Promise<void> {
    const { logger } = this.deps;
    for (const modelName of names) {
      if (this.detectors.has(modelName)) continue;
      try {
        const detector = await this.deps.loadDetector(modelName);
        this.detectors.set(modelName, detector);
        this.schedulers.set(modelName, new InferenceScheduler({ detector, logger }));
        logger.info({ model: modelName, sha256: detector.model.sha256 }, 'model loaded');
        this.deps.recorder?.modelLoaded(detector.model);
      } catch (error) {
        logger.error({ model: modelName, err: toError(error) }, 'model could not be loaded; its cameras stay offline');
      }
    }
  }

  private startCamera(camera: CameraConfig, delayMs = 0): void {
    if (this.stopping) return;
    const detector = this.detectors.get(camera.model);
    if (!detector) {
      this.report({
        cameraId: camera.id,
        state: 'offline',
        reason: 'model_unavailable',
        detail: `model ${camera.model} not loaded`,
        since: this.deps.clock.now(),
      });
      return;
    }
    const pipeline = this.buildPipeline(camera, detector);
    this.pipelines.set(camera.id, pipeline);
    pipeline.start(delayMs);
  }

  private async stopCamera(cameraId: string): Promise<void> {
    const pipeline = this.pipelines.get(cameraId);
    this.pipelines.delete(cameraId);
    await pipeline?.stop();
  }

  private alertContextFor(camera: CameraConfig, detector: Detector): AlertContext {
    const { config, sha256 } = this.current;
    return {
      siteId: config.site.id,
      cameraId: camera.id,
      model: { name: detector.model.name, sha256: detector.model.sha256 },
      config: { version: config.version, sha256 },
    };
  }

  /** Everything a camera's config swaps in place; built here for new pipelines and for reconfigure alike. */
  /** With the camera's current policy, rules whose definition did not change keep their open events. */
  private policyParts(camera: CameraConfig, previous?: Policy): Pick<CameraPipelineDeps, 'policy'> {
    return { policy: new RulePolicy(camera, previous instanceof RulePolicy ? previous : undefined) };
  }

  private buildPipeline(camera: CameraConfig, detector: Detector): CameraPipeline {
    const { clock, logger, metrics, sink } = this.deps;
    const alertContext = this.alertContextFor(camera, detector);
    return new CameraPipeline({
      camera,
      source: this.deps.createFrameSource(camera, detector.model),
      detector,
      scheduler: this.schedulers.get(camera.model),
      tracker: new ByteTracker({ options: trackerOptionsFor(camera), nextTrackId: this.trackIdsFor(camera.id) }),
      ...this.policyParts(camera),
      sink,
      alertContext,
      nextAlertSeq: this.deps.nextAlertSeq ?? (() => ++this.alertSeq),
      newAlertId: this.deps.newAlertId,
      onStatus: (status) => this.report(status),
      clock,
      logger: logger.child({ component: 'pipeline', camera: camera.id }),
      metrics,
      recorder: this.deps.recorder,
    });
  }

  private trackIdsFor(cameraId: string): TrackIdSource {
    let ids = this.trackIds.get(cameraId);
    if (!ids) this.trackIds.set(cameraId, (ids = createTrackIdSource()));
    return ids;
  }

  private report(status: CameraStatus): void {
    const previous = this.statuses.get(status.cameraId);
    this.statuses.set(status.cameraId, status);
    this.deps.metrics.cameraUp.set({ camera: status.cameraId }, status.state === 'online' ? 1 : 0);
    if (previous?.state !== status.state || previous.reason !== status.reason) {
      const level = status.state === 'online' ? 'info' : 'warn';
      this.deps.logger[level]({ camera: status.cameraId, state: status.state, reason: status.reason, detail: status.detail }, 'camera status');
    }
    this.deps.publishCameraStatus(status);
  }
}
