import type { Frame } from '../types.js';
import { MotionDetector, type MotionDetectorOptions, type MotionMeasurement, type MotionThresholds } from './MotionDetector.js';

/** A camera's `motion` settings (pipelines/config/cameraSchema.ts). */
export interface MotionSettings extends MotionThresholds {
  readonly enabled: boolean;
  readonly recheckSeconds: number;
}

/**
 * Why a frame goes to inference or not. `tracks_pending`: a track went unmatched on the last
 * inferred frame, so frames keep coming until the tracker has decided whether it is lost (a
 * skipped frame is no observation, so the tracker would otherwise keep it forever).
 */
export type GateReason = 'disabled' | 'first_frame' | 'motion' | 'recheck' | 'tracks_pending' | 'still' | 'global_change';

export interface GateDecision {
  readonly infer: boolean;
  readonly reason: GateReason;
  /** undefined when gating is off */
  readonly measurement: MotionMeasurement | undefined;
}

const DISABLED: GateDecision = { infer: true, reason: 'disabled', measurement: undefined };

/**
 * Decides, per frame, whether a camera's frame is worth an inference: yes on motion, and
 * otherwise at least every `recheckSeconds` so stationary objects are seen again. Frames it
 * skips must not reach the tracker: no inference is not "nothing there".
 */
export class MotionGate {
  private settings: MotionSettings;
  private readonly detector: MotionDetector;
  private lastInferredAt: number | undefined;

  constructor(settings: MotionSettings, options: MotionDetectorOptions = {}) {
    this.settings = settings;
    this.detector = new MotionDetector(options);
  }

  /** New settings for the same camera: the background and the recheck clock carry on. */
  configure(settings: MotionSettings): void {
    if (!settings.enabled) this.detector.reset();
    this.settings = settings;
  }

  get current(): MotionSettings {
    return this.settings;
  }

  /** `tracksPending`: the last inferred frame left a track unmatched. Time is the frame's capture time. */
  check(frame: Frame, tracksPending: boolean): GateDecision {
    if (!this.settings.enabled) return DISABLED;
    const measurement = this.detector.measure(frame, this.settings);
    const now = frame.captureTime;
    const reason = this.reasonFor(measurement, now, tracksPending);
    const infer = reason === 'first_frame' || reason === 'motion' || reason === 'recheck' || reason === 'tracks_pending';
    if (infer) this.lastInferredAt = now;
    return { infer, reason, measurement };
  }

  private reasonFor(measurement: MotionMeasurement, now: number, tracksPending: boolean): GateReason {
    if (measurement.verdict === 'first_frame' || this.lastInferredAt === undefined) return 'first_frame';
    if (measurement.verdict === 'motion') return 'motion';
    if (tracksPending) return 'tracks_pending';
    if (now - this.lastInferredAt >= this.settings.recheckSeconds * 1000) return 'recheck';
    return measurement.verdict;
  }
}
