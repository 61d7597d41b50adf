import type { AlertContext } from '../pipelines/alerts.js';
import type { CameraConfig } from '../pipelines/config/siteConfig.js';
import { toError } from '../pipelines/errors.js';
import { RulePolicy } from '../pipelines/policy.js';
import type { AlertSink, CameraStatus, Detector, FrameSource, ModelInfo } from '../pipelines/stages.js';
import { IouTracker } from '../pipelines/track/IouTracker.js';
import { CameraPipeline, type PipelineMetrics } from './CameraPipeline.js';
import type { Clock } from './clock.js';
import type { LoadedSiteConfig } from './config/loadSiteConfig.js';
import type { Logger } from './observe/logger.js';

/** What the supervisor records into; the agent's prom-client metrics satisfy it. */
export interface SupervisorMetrics extends PipelineMetrics {
  readonly cameraUp: { set(labels: { camera: string }, value: number): void };
}

export interface AgentDeps {
  readonly loaded: LoadedSiteConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: SupervisorMetrics;
  readonly sink: AlertSink;
  /** publishes retained camera status; the link re-sends the latest after each reconnect */
  readonly publishCameraStatus: (status: CameraStatus) => void;
  readonly isBrokerConnected: () => boolean;
  readonly createFrameSource: (camera: CameraConfig, model: ModelInfo) => FrameSource;
  readonly loadDetector: (modelName: string) => Promise<Detector>;
  readonly newAlertId: () => string;
}

export interface Readiness {
  readonly ready: boolean;
  readonly reasons: string[];
}

/**
 * Builds one pipeline per enabled camera and keeps them running. A camera whose model cannot be
 * loaded, or whose stream fails, is reported offline with its reason; the others carry on.
 */
export class Agent {
  private readonly deps: AgentDeps;
  private readonly pipelines = new Map<string, CameraPipeline>();
  private readonly statuses = new Map<string, CameraStatus>();
  private readonly detectors = new Map<string, Detector>();
  private alertSeq = 0;
  private stopping: Promise<void> | undefined;

  constructor(deps: AgentDeps) {
    this.deps = deps;
  }

  async start(): Promise<void> {
    const { loaded, logger } = this.deps;
    const cameras = loaded.config.cameras.filter((camera) => camera.enabled);
    for (const modelName of new Set(cameras.map((camera) => camera.model))) {
      try {
        const detector = await this.deps.loadDetector(modelName);
        this.detectors.set(modelName, detector);
        logger.info({ model: modelName, sha256: detector.model.sha256 }, 'model loaded');
      } catch (error) {
        logger.error({ model: modelName, err: toError(error) }, 'model could not be loaded; its cameras stay offline');
      }
    }
    for (const camera of cameras) {
      const detector = this.detectors.get(camera.model);
      if (!detector) {
        this.report({ cameraId: camera.id, state: 'offline', reason: 'model_unavailable', detail: `model ${camera.model} not loaded`, since: this.deps.clock.now() });
        continue;
      }
      const pipeline = this.buildPipeline(camera, detector);
      this.pipelines.set(camera.id, pipeline);
      pipeline.start();
    }
  }

  readiness(): Readiness {
    const reasons: string[] = [];
    if (this.detectors.size === 0) reasons.push('no_model_loaded');
    const online = [...this.statuses.values()].filter((status) => status.state === 'online').length;
    if (online === 0) reasons.push('no_camera_online');
    if (!this.deps.isBrokerConnected()) reasons.push('mqtt_disconnected');
    return { ready: reasons.length === 0, reasons };
  }

  cameraStatuses(): CameraStatus[] {
    return [...this.statuses.values()];
  }

  /** Idempotent: stops intake on every camera, waits for frames in flight, releases the models. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([...this.pipelines.values()].map((pipeline) => pipeline.stop()));
      await Promise.all([...this.detectors.values()].map((detector) => detector.shutdown()));
    })();
    return this.stopping;
  }

  private buildPipeline(camera: CameraConfig, detector: Detector): CameraPipeline {
    const { loaded, clock, logger, metrics, sink } = this.deps;
    const alertContext: AlertContext = {
      siteId: loaded.config.site.id,
      cameraId: camera.id,
      model: { name: detector.model.name, sha256: detector.model.sha256 },
      config: { version: loaded.config.version, sha256: loaded.sha256 },
    };
    return new CameraPipeline({
      camera,
      source: this.deps.createFrameSource(camera, detector.model),
      detector,
      tracker: new IouTracker({ maxMisses: Math.max(2, Math.round(camera.analyticsFps * 2)) }),
      policy: new RulePolicy(camera),
      sink,
      alertContext,
      nextAlertSeq: () => ++this.alertSeq,
      newAlertId: this.deps.newAlertId,
      onStatus: (status) => this.report(status),
      clock,
      logger: logger.child({ component: 'pipeline', camera: camera.id }),
      metrics,
    });
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
