import type { CameraConfig } from '../../pipelines/config/siteConfig.js';
import { frameSizeError } from '../../pipelines/detect/frameSizeError.js';
import { PAD_VALUE } from '../../pipelines/detect/letterbox.js';
import { PrivacyMasker } from '../../pipelines/privacy/PrivacyMasker.js';
import type { DetectOptions, Detector } from '../../pipelines/stages.js';
import { ByteTracker } from '../../pipelines/track/ByteTracker.js';
import { detectOptionsFor, trackerOptionsFor } from '../../pipelines/track/trackerOptions.js';
import type { Detection, Frame, Track } from '../../pipelines/types.js';
import type { OverlayObject } from './overlaySvg.js';

/**
 * `snapshot --detect`: the camera pipeline's detection half over a few seconds of frames, built
 * from the same pieces as CameraPipeline (privacy masks painted before inference and applied to
 * the detections after it, the camera's detection thresholds, a ByteTracker with the camera's
 * tracker options) so that what is drawn is what the policy would be given. No motion gate:
 * every frame is inferred, since a skipped frame would leave nothing to draw.
 */
export class SnapshotAnalysis {
  private readonly camera: CameraConfig;
  private readonly detector: Detector;
  private readonly masker: PrivacyMasker;
  private readonly tracker: ByteTracker;
  private readonly detectOptions: DetectOptions;
  private last: { detections: readonly Detection[]; tracks: readonly Track[] } = { detections: [], tracks: [] };
  private analysed = 0;

  constructor(camera: CameraConfig, detector: Detector) {
    this.camera = camera;
    this.detector = detector;
    this.masker = new PrivacyMasker(camera.privacyMasks, PAD_VALUE);
    this.tracker = new ByteTracker({ options: trackerOptionsFor(camera) });
    this.detectOptions = detectOptionsFor(camera, detector.model.labels);
  }

  get frames(): number {
    return this.analysed;
  }

  readonly onFrame = async (frame: Frame): Promise<void> => {
    // The agent checks this in its scheduler, which snapshot does without.
    const sizeError = frameSizeError(frame, this.detector.model);
    if (sizeError) throw sizeError;
    this.masker.apply(frame);
    const found = await this.detector.detect(frame, this.detectOptions);
    const { kept } = this.masker.filter(found);
    const { minScore } = this.camera.detection;
    const { active } = this.tracker.update(kept, frame.captureTime, minScore);
    // Detections under minScore only fed the tracker's low-score stage: they are not drawn.
    this.last = { detections: kept.filter((detection) => detection.score >= minScore), tracks: active };
    this.analysed += 1;
  };

  /**
   * The last frame's detections, each with the id of the track it was matched to when the
   * tracker reports one (a matched track takes its detection's box; a new track is reported only
   * after `tracker.minHits` frames, so early or flickering objects have no id yet).
   */
  objects(): OverlayObject[] {
    const matched = this.last.tracks.filter((track) => track.misses === 0);
    return this.last.detections.map((detection) => {
      // By box alone: a track of a label group reports its majority label, which may not be this detection's.
      const track = matched.find((t) => t.box.every((v, i) => v === detection.box[i]));
      return { box: detection.box, label: detection.label, score: detection.score, ...(track ? { trackId: track.id } : {}) };
    });
  }
}
