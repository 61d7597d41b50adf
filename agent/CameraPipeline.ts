import { performance } from 'node:perf_hooks';
import { buildAlert, type AlertContext } from '../pipelines/alerts.js';
import type { CameraConfig } from '../pipelines/config/siteConfig.js';
import { toError } from '../pipelines/errors.js';
import type { AlertSink, CameraStatus, Detector, FrameSource, Policy, Tracker } from '../pipelines/stages.js';
import type { Decision, Frame, Track } from '../pipelines/types.js';
import type { Clock } from './clock.js';
import type { Logger } from './observe/logger.js';
import type { AlertOutcome, FrameOutcome, Stage } from './observe/metrics.js';


/** The slice of the agent's metrics a pipeline records into (prom-client objects satisfy it). */
export interface PipelineMetrics {
  readonly framesTotal: { inc(labels: { camera: string; outcome: FrameOutcome }): void };
  readonly stageSeconds: { observe(labels: { stage: Stage }, seconds: number): void };
  readonly inferenceSeconds: { observe(labels: { model: string }, seconds: number): void };
  readonly frameToAlertSeconds: { observe(seconds: number): void };
  readonly alertsTotal: { inc(labels: { camera: string; rule: string; outcome: AlertOutcome }): void };
  readonly cameraRestartsTotal: { inc(labels: { camera: string; reason: string }): void };
}

export interface CameraPipelineDeps {
  readonly camera: CameraConfig;
  readonly source: FrameSource;
  readonly detector: Detector;
  readonly tracker: Tracker;
  readonly policy: Policy;
  readonly sink: AlertSink;
  readonly alertContext: AlertContext;
  /** per-agent alert sequence, shared by every camera */
  readonly nextAlertSeq: () => number;
  readonly newAlertId: () => string;
  readonly onStatus: (status: CameraStatus) => void;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
}

/**
 * One camera's path from frames to alerts. Latest frame wins: while a frame is in inference,
 * at most one newer frame waits, and any frame it replaces is counted as dropped, so a slow
 * model never builds a backlog and alert latency stays bounded.
 */
export class CameraPipeline {
  private readonly deps: CameraPipelineDeps;
  private readonly ruleTypes: ReadonlyMap<string, CameraConfig['rules'][number]>;
  private pending: Frame | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastFailureLog = 0;

  constructor(deps: CameraPipelineDeps) {
    this.deps = deps;
    this.ruleTypes = new Map(deps.camera.rules.map((rule) => [rule.id, rule]));
  }

  get cameraId(): string {
    return this.deps.camera.id;
  }

  start(): void {
    const { source, metrics, onStatus } = this.deps;
    source.start({
      onFrame: (frame) => this.accept(frame),
      onStatus: (status) => onStatus(status),
      onRestart: ({ reason }) => metrics.cameraRestartsTotal.inc({ camera: this.cameraId, reason }),
    });
  }

  /** Stops intake, then waits for the frame in flight; alerts already handed to the sink stay there. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pending) this.countFrame('dropped');
    this.pending = undefined;
    await this.deps.source.stop();
    await this.running;
  }

  private accept(frame: Frame): void {
    if (this.stopped) return;
    if (this.running) {
      if (this.pending) this.countFrame('dropped');
      this.pending = frame;
      return;
    }
    this.running = this.drain(frame).finally(() => {
      this.running = undefined;
    });
  }

  private async drain(first: Frame): Promise<void> {
    let frame: Frame | undefined = first;
    while (frame && !this.stopped) {
      await this.handle(frame);
      frame = this.pending;
      this.pending = undefined;
    }
  }

  private async handle(frame: Frame): Promise<void> {
    const { detector, tracker, policy, metrics, camera, clock } = this.deps;
    try {
      const started = performance.now();
      const detections = await detector.detect(frame, camera.detection);
      const inferred = performance.now();
      this.recordDetectTimings((inferred - started) / 1000);

      const tracks = tracker.update(detections, frame.captureTime);
      const decisions = policy.evaluate({ ...tracks, now: frame.captureTime });
      metrics.stageSeconds.observe({ stage: 'policy' }, (performance.now() - inferred) / 1000);
      this.countFrame('processed');
      for (const decision of decisions) {
        if (decision.outcome === 'alert') this.emit(decision, frame, tracks.active, tracks.ended, clock.now());
      }
    } catch (error) {
      this.countFrame('failed');
      // One line per 10 s at most: a broken model would otherwise log at the frame rate.
      if (clock.now() - this.lastFailureLog > 10_000) {
        this.lastFailureLog = clock.now();
        this.deps.logger.error({ err: toError(error), frameSeq: frame.seq }, 'frame processing failed');
      }
    }
  }

  private emit(decision: Decision, frame: Frame, active: readonly Track[], ended: readonly Track[], now: number): void {
    const { sink, metrics, alertContext, clock, logger } = this.deps;
    const rule = this.ruleTypes.get(decision.ruleId);
    const track = active.find((t) => t.id === decision.trackId) ?? ended.find((t) => t.id === decision.trackId);
    if (!rule || !track || !decision.state) return;
    const alert = buildAlert(alertContext, {
      id: this.deps.newAlertId(),
      seq: this.deps.nextAlertSeq(),
      ruleId: rule.id,
      type: rule.type,
      state: decision.state,
      severity: rule.severity,
      track,
      ...(rule.type === 'zone_intrusion' ? { zoneId: rule.zone } : {}),
      frameTime: frame.captureTime,
      now,
    });
    const handedOff = performance.now();
    sink.publish(alert).then(
      () => {
        metrics.stageSeconds.observe({ stage: 'publish' }, (performance.now() - handedOff) / 1000);
        metrics.frameToAlertSeconds.observe(Math.max(0, clock.now() - frame.captureTime) / 1000);
        metrics.alertsTotal.inc({ camera: this.cameraId, rule: rule.id, outcome: 'published' });
      },
      (error: unknown) => {
        metrics.alertsTotal.inc({ camera: this.cameraId, rule: rule.id, outcome: 'failed' });
        logger.warn({ err: toError(error), alertId: alert.id, rule: rule.id }, 'alert not delivered');
      },
    );
  }

  /** Splits the detector's time into its stages when it reports them, else counts it all as inference. */
  private recordDetectTimings(totalSeconds: number): void {
    const { metrics, detector } = this.deps;
    const timings = detector.lastTimings;
    if (timings) {
      metrics.stageSeconds.observe({ stage: 'preprocess' }, timings.preprocessMs / 1000);
      metrics.stageSeconds.observe({ stage: 'inference' }, timings.inferenceMs / 1000);
      metrics.stageSeconds.observe({ stage: 'postprocess' }, timings.postprocessMs / 1000);
      metrics.inferenceSeconds.observe({ model: detector.model.name }, timings.inferenceMs / 1000);
    } else {
      metrics.stageSeconds.observe({ stage: 'inference' }, totalSeconds);
      metrics.inferenceSeconds.observe({ model: detector.model.name }, totalSeconds);
    }
  }

  private countFrame(outcome: FrameOutcome): void {
    this.deps.metrics.framesTotal.inc({ camera: this.cameraId, outcome });
  }
}
