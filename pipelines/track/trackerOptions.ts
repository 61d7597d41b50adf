import type { CameraConfig } from '../config/siteConfig.js';
import type { DetectOptions } from '../stages.js';
import { DEFAULT_BYTE_TRACKER_OPTIONS, type ByteTrackerOptions } from './ByteTracker.js';
import { DEFAULT_LABEL_GROUPS, LabelGroups, type LabelGroupsConfig } from './LabelGroups.js';

/** Seconds a track may go unmatched when the config does not say how many frames. */
export const DEFAULT_TRACK_SURVIVAL_SECONDS = 2;

type TrackedCamera = Pick<CameraConfig, 'tracker' | 'analyticsFps' | 'detection'>;

/** The camera's label groups: its own, or the default (`vehicle: [car, truck, bus]`) when it names none. */
export function labelGroupsOf(camera: Pick<CameraConfig, 'tracker'>): LabelGroupsConfig {
  return camera.tracker.labelGroups ?? DEFAULT_LABEL_GROUPS;
}

/**
 * The camera's tracker settings: `maxMisses` defaulting to two seconds of frames, `lostSeconds`
 * in frames, the detection threshold below which detections only extend tracks, the label groups.
 */
export function trackerOptionsFor(camera: TrackedCamera): ByteTrackerOptions {
  const { maxMisses, lostSeconds, labelGroups, ...rest } = camera.tracker;
  return {
    ...rest,
    minScore: camera.detection.minScore,
    maxMisses: maxMisses ?? Math.max(2, Math.round(camera.analyticsFps * DEFAULT_TRACK_SURVIVAL_SECONDS)),
    lostFrames: Math.round(lostSeconds * camera.analyticsFps),
    directionWeight: DEFAULT_BYTE_TRACKER_OPTIONS.directionWeight,
    labelGroups: labelGroups ?? DEFAULT_LABEL_GROUPS,
  };
}

/**
 * What the camera asks of its detector: candidates down to the lower of `detection.minScore` and
 * `tracker.lowScore`, so the tracker's low-score stage sees the detections it exists for (the
 * pipeline hands those under minScore to the tracker only), and NMS across the labels of each group.
 * `labels` is the model's label list in class-id order. Build it once per camera config: the group
 * keys are computed here, not per frame.
 */
export function detectOptionsFor(camera: TrackedCamera, labels: readonly string[]): DetectOptions {
  const { minScore, iouThreshold } = camera.detection;
  return {
    minScore: Math.min(minScore, camera.tracker.lowScore),
    iouThreshold,
    nmsClassKeys: new LabelGroups(labelGroupsOf(camera)).nmsClassKeys(labels),
  };
}
