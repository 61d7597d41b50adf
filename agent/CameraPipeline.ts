import { performance } from 'node:perf_hooks';
import { buildAlert, type AlertContext } from '../pipelines/alerts.js';
import type { CameraConfig } from '../pipelines/config/siteConfig.js';
import { PAD_VALUE } from '../pipelines/detect/letterbox.js';
import { toError } from '../pipelines/errors.js';
import type { AlertSink, CameraStatus, DetectOptions, DetectTimings, Detector, FrameSource, Policy, Tracker } from '../pipelines/stages.js';
import type { Decision, Frame, Track } from '../pipelines/types.js';
import { PrivacyMasker } from '../pipelines/privacy/PrivacyMasker.js';
import { MotionGate } from '../pipelines/motion/MotionGate.js';
import { detectOptionsFor } from '../pipelines/track/trackerOptions.js';
import type { Clock, Timer } from './clock.js';
import { InferenceScheduler, type InferenceLane, type InferenceResult } from './inference/InferenceScheduler.js';
import type { DecisionRecorder } from './audit/DecisionRecorder.js';
import type { Logger } from './observe/logger.js';
import { RateLimitedLog } from './observe/RateLimitedLog.js';
import type { AlertOutcome, FrameOutcome, Stage } from './observe/metrics.js';

/** The slice of the agent's metrics a pipeline records into (prom-client objects satisfy it). */
export interface PipelineMetrics {
  readonly framesTotal: { inc(labels: { camera: string; outcome: FrameOutcome }): void };
  readonly stageSeconds: { observe(labels: { stage: Stage }, seconds: number): void };
  readonly inferenceSeconds: { observe(labels: { model: string }, seconds: number): void };
  readonly alertsTotal: { inc(labels: { camera: string; rule: string; severity: string; outcome: AlertOutcome }): void };
  readonly maskedDetectionsTotal: { inc(labels: { camera: string }, value: number): void };
  readonly cameraRestartsTotal: { inc(labels: { camera: string; reason: string }): void };
}

export interface CameraPipelineDeps {
  readonly camera: CameraConfig;
  readonly source: FrameSource;
  readonly detector: Detector;
  /** the model's scheduler, shared with the other cameras on it; default: one of this camera's own over `detector` */
  readonly scheduler?: InferenceScheduler;
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
  /** every decision goes here (the audit log; replay's decisions file); alerts carry what it returns */
  readonly recorder?: DecisionRecorder;
}

/**
 * One camera's path from frames to alerts: privacy mask, motion gate, then the model's shared
 * inference scheduler. Latest frame wins: while a frame is in inference, at most one newer frame
 * waits (in the scheduler's lane for this camera), and any frame it replaces is counted as
 * dropped, so a slow model never builds a backlog and alert latency stays bounded.
 */
export class CameraPipeline {
  /** replaced whole by reconfigure(); read fresh after every await */
  private deps: CameraPipelineDeps;
  private ruleTypes: ReadonlyMap<string, CameraConfig['rules'][number]>;
  private framesSeen = 0;
  /** the last frame handled and its tracks, to end open events when the policy is swapped */
  private lastHandled: { frame: Frame; tracks: readonly Track[]; lost: number } | undefined;
  private masker: { masks: CameraConfig['privacyMasks']; masker: PrivacyMasker } | undefined;
  /** built once per camera config (a reconfigure brings a new object): the label groups' NMS keys are not recomputed per frame */
  private detectOptions: { camera: CameraConfig; options: DetectOptions } | undefined;
  /** this camera's slot in the model's scheduler: one frame waiting at most */
  private readonly lane: InferenceLane;
  private readonly motionGate: MotionGate;
  private stopped = false;
  private startTimer: Timer | undefined;
  /** one 'frame processing failed' line per 10 s at most: a broken model would otherwise log at the frame rate */
  private readonly failureLog: RateLimitedLog;

  constructor(deps: CameraPipelineDeps) {
    this.deps = deps;
    this.failureLog = new RateLimitedLog({ clock: deps.clock, intervalMs: 10_000 });
    this.ruleTypes = new Map(deps.camera.rules.map((rule) => [rule.id, rule]));
    this.motionGate = new MotionGate(deps.camera.motion);
    const scheduler = deps.scheduler ?? new InferenceScheduler({ detector: deps.detector, logger: deps.logger });
    this.lane = scheduler.open(deps.camera.id, {
      detectOptions: () => this.detectOptionsFor(this.deps.camera),
      onResult: (frame, result) => this.handle(frame, result),
      onDropped: () => this.countFrame('dropped'),
    });
  }

  get cameraId(): string {
    return this.deps.camera.id;
  }

  /** Frames the source delivered to this pipeline since it was built (processed, dropped or failed). */
  get framesReceived(): number {
    return this.framesSeen;
  }

  /** The policy in effect (a new one is built from it, so unchanged rules carry their events over). */
  get policy(): Policy {
    return this.deps.policy;
  }

  /**
   * Takes a new config for this camera without touching its decoder or tracker: frames keep
   * flowing and track ids stay. With a new policy, the events the old one had open end first (an
   * `end` alert each, under the old config), so no event outlives the rules that opened it, except
   * those of rules the new policy carries over unchanged; objects that still match start fresh
   * events under the new rules on the next frame.
   */
  reconfigure(update: Pick<CameraPipelineDeps, 'camera' | 'alertContext'> & Partial<Pick<CameraPipelineDeps, 'policy'>>): void {
    if (update.policy && update.policy !== this.deps.policy) this.endOpenEvents(update.policy);
    this.deps = { ...this.deps, ...update };
    this.ruleTypes = new Map(update.camera.rules.map((rule) => [rule.id, rule]));
  }

  private endOpenEvents(next: Policy): void {
    const last = this.lastHandled;
    if (!last) return;
    const now = this.deps.clock.now();
    // A policy that can close its events does (crowding events belong to no track); otherwise
    // every live track reported as ended makes the old policy close each event it holds open.
    const { policy } = this.deps;
    const closing = policy.close ? policy.close(now, next) : policy.evaluate({ active: [], ended: last.tracks, now });
    for (const decision of closing) {
      if (decision.outcome === 'alert') this.emit(decision, last.frame, [], last.tracks, now);
    }
  }

  /**
   * Starts intake now, or after `delayMs` (the agent spreads cameras started together over one
   * frame interval). stop() before then cancels it.
   */
  start(delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      this.startTimer = this.deps.clock.setTimeout(() => {
        this.startTimer = undefined;
        this.start();
      }, delayMs);
      return;
    }
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
    this.startTimer?.cancel();
    this.startTimer = undefined;
    await this.deps.source.stop();
    // A frame still waiting is counted as dropped; the one in inference finishes.
    await this.lane.stop();
  }

  /** Resolves once no frame is in flight or waiting: replay reads the next frame only then, so none is replaced. */
  idle(): Promise<void> {
    return this.lane.idle();
  }

  /**
   * Masked pixels never reach the model or the motion gate. A frame without motion is skipped
   * (`skipped_motion`) and never reaches the tracker either: no inference is no observation, so
   * a stationary object keeps its track until the gate's periodic re-check sees it again.
   */
  private accept(frame: Frame): void {
    if (this.stopped) {
      frame.release?.();
      return;
    }
    this.framesSeen += 1;
    const { camera } = this.deps;
    this.maskerFor(camera).apply(frame);
    if (this.motionGate.current !== camera.motion) this.motionGate.configure(camera.motion);
    // An unmatched track needs frames for the tracker to decide whether it is lost.
    // A lost one (kept for re-linking) needs them to end.
    const last = this.lastHandled;
    const tracksPending = last !== undefined && (last.lost > 0 || last.tracks.some((track) => track.misses > 0));
    if (!this.motionGate.check(frame, tracksPending).infer) {
      this.countFrame('skipped_motion');
      frame.release?.();
      return;
    }
    this.lane.submit(frame);
  }

  /** The scheduler's result for one of this camera's frames; a failed inference lands in the same catch as a failed policy. */
  private async handle(frame: Frame, result: InferenceResult): Promise<void> {
    const { tracker, metrics, camera, clock } = this.deps;
    try {
      if (!result.ok) throw result.error;
      // Whatever the model still finds anchored in a mask is dropped, and counted.
      const { kept: detections, dropped: masked } = this.maskerFor(camera).filter(result.detections);
      // Detections under detection.minScore are only for the tracker's low-score stage: not counted.
      const maskedCount = masked.filter(({ detection }) => detection.score >= camera.detection.minScore).length;
      if (maskedCount > 0) metrics.maskedDetectionsTotal.inc({ camera: this.cameraId }, maskedCount);
      const inferred = performance.now();
      this.recordDetectTimings(result);

      const tracks = tracker.update(detections, frame.captureTime, camera.detection.minScore);
      this.deps.recorder?.tracks?.({ frame, tracks: tracks.active });
      // The policy in effect when inference ends: reconfigure() may have swapped it meanwhile.
      const decisions = this.deps.policy.evaluate({ ...tracks, now: frame.captureTime });
      this.lastHandled = { frame, tracks: tracks.active, lost: tracks.lost ?? 0 };
      metrics.stageSeconds.observe({ stage: 'policy' }, (performance.now() - inferred) / 1000);
      this.countFrame('processed');
      for (const decision of decisions) {
        if (decision.outcome === 'alert') this.emit(decision, frame, tracks.active, tracks.ended, clock.now());
        else this.deps.recorder?.suppression({ decision, cameraId: this.cameraId, frame });
      }
    } catch (error) {
      this.countFrame('failed');
      const admitted = this.failureLog.admit('frame_failed');
      if (admitted) this.deps.logger.error({ err: toError(error), frameSeq: frame.seq, ...admitted }, 'frame processing failed');
    }
  }

  private emit(decision: Decision, frame: Frame, active: readonly Track[], ended: readonly Track[], now: number): void {
    const { sink, metrics, alertContext, logger } = this.deps;
    const rule = this.ruleTypes.get(decision.ruleId);
    // A crowding event is about a zone (trackId null); every other event is about one track.
    const track = decision.trackId === null ? undefined : (active.find((t) => t.id === decision.trackId) ?? ended.find((t) => t.id === decision.trackId));
    if (!rule || !decision.state || (decision.trackId !== null && !track)) return;
    const alert = buildAlert(alertContext, {
      ...decision.event,
      id: this.deps.newAlertId(),
      seq: this.deps.nextAlertSeq(),
      ruleId: rule.id,
      type: rule.type,
      state: decision.state,
      severity: rule.severity,
      track,
      frameTime: frame.captureTime,
      now,
    });
    const audit = this.deps.recorder?.alert({ decision, alert, frame });
    if (audit) alert.audit = { seq: audit.seq, hash: audit.hash };
    const handedOff = performance.now();
    sink.publish(alert).then(
      () => {
        // frame_to_alert_seconds is observed by the delivery at the broker's PUBACK, not here.
        metrics.stageSeconds.observe({ stage: 'publish' }, (performance.now() - handedOff) / 1000);
        metrics.alertsTotal.inc({ camera: this.cameraId, rule: rule.id, severity: rule.severity, outcome: 'published' });
      },
      (error: unknown) => {
        metrics.alertsTotal.inc({ camera: this.cameraId, rule: rule.id, severity: rule.severity, outcome: 'failed' });
        logger.warn({ err: toError(error), alertId: alert.id, rule: rule.id }, 'alert not delivered');
      },
    );
  }

  /** The detector reads candidates down to tracker.lowScore and runs NMS across label groups (detectOptionsFor). */
  private detectOptionsFor(camera: CameraConfig): DetectOptions {
    if (this.detectOptions?.camera !== camera) this.detectOptions = { camera, options: detectOptionsFor(camera, this.deps.detector.model.labels) };
    return this.detectOptions.options;
  }

  /** Built once per mask list (a reconfigure with new masks brings a new list); the raster once per letterbox. */
  private maskerFor(camera: CameraConfig): PrivacyMasker {
    if (this.masker?.masks !== camera.privacyMasks) this.masker = { masks: camera.privacyMasks, masker: new PrivacyMasker(camera.privacyMasks, PAD_VALUE) };
    return this.masker.masker;
  }

  /** Splits the detector's time into its stages when it reports them, else counts it all as inference. */
  private recordDetectTimings({ timings, elapsedMs }: { timings: DetectTimings | undefined; elapsedMs: number }): void {
    const { metrics, detector } = this.deps;
    const totalSeconds = elapsedMs / 1000;
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
