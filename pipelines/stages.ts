import type { Alert } from './alerts.js';
import type { Decision, Detection, Frame, Track } from './types.js';

/**
 * One small interface per stage. Implementations that hold resources have an idempotent
 * `stop()`, the one verb for it: calling it twice, or before start, is safe.
 */

export type CameraState = 'online' | 'offline' | 'degraded';

export interface CameraStatus {
  readonly cameraId: string;
  readonly state: CameraState;
  /** machine-readable cause, e.g. `stalled`, `exited`, `spawn_failed`, `not_video` */
  readonly reason?: string;
  /** human-readable detail, credentials already redacted */
  readonly detail?: string;
  readonly since: number;
}

export interface FrameSourceListener {
  onFrame(frame: Frame): void;
  /** called on every state change (online, offline with reason) */
  onStatus(status: CameraStatus): void;
  /** called each time the source schedules a restart of its decoder */
  onRestart(info: { readonly cameraId: string; readonly reason: string; readonly delayMs: number; readonly attempt: number }): void;
}

export interface FrameSource {
  readonly cameraId: string;
  /** starts delivering frames to the listener; restarts itself on failure until stopped */
  start(listener: FrameSourceListener): void;
  stop(): Promise<void>;
}

export interface ModelInfo {
  readonly name: string;
  readonly family: string;
  readonly sha256: string;
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly labels: readonly string[];
}

export interface DetectOptions {
  readonly minScore: number;
  readonly iouThreshold: number;
  /** per class id, the key NMS compares instead of the class (label groups); see `DecodeOptions` */
  readonly nmsClassKeys?: readonly number[];
}

/** Milliseconds spent in each part of the last detect(), for the per-stage histograms. */
export interface DetectTimings {
  readonly preprocessMs: number;
  readonly inferenceMs: number;
  readonly postprocessMs: number;
}

export interface Detector {
  readonly model: ModelInfo;
  /** timings of the most recent detect() call (calls on one detector run one at a time) */
  readonly lastTimings?: DetectTimings;
  /** `frame` is at the model's input size: InferenceScheduler checks it once (frameSizeError) for every detector */
  detect(frame: Frame, options: DetectOptions): Promise<Detection[]>;
  stop(): Promise<void>;
}

export interface TrackerUpdate {
  /** confirmed tracks, matched this frame or coasting (misses > 0) */
  readonly active: Track[];
  /** tracks that ended on this frame; each is reported ended once */
  readonly ended: Track[];
  /**
   * tracks lost but not yet ended (kept, unreported, for re-linking): the caller keeps frames coming
   * to the tracker until they end, as it does for coasting ones
   */
  readonly lost?: number;
}

export interface Tracker {
  /**
   * Associates this frame's detections with existing tracks; returns live tracks and those that
   * just ended. Detections below `minScore` (the camera's `detection.minScore`, passed each frame
   * as it is hot-reconfigurable) may only extend tracks, in the low-score stage.
   */
  update(detections: readonly Detection[], now: number, minScore?: number): TrackerUpdate;
}

export interface Policy {
  evaluate(input: { active: readonly Track[]; ended: readonly Track[]; now: number }): Decision[];
  /**
   * ends every event still open (`end`, reason `policy_replaced`), except those of rules `next`
   * carries over unchanged; called once, when the policy is replaced by `next`
   */
  close?(now: number, next?: Policy): Decision[];
}

export interface AlertSink {
  /** resolves once the broker acknowledged the alert (PUBACK for QoS 1) */
  publish(alert: Alert): Promise<void>;
  stop(): Promise<void>;
}
