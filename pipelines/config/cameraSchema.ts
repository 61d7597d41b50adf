import { z } from 'zod';
import { id, pointSchema, polygonSchema } from './common.js';
import { ruleSchema } from './rulesSchema.js';
import { scheduleSchema } from './scheduleSchema.js';
import { MAX_POLYGON_POINTS } from './simplePolygon.js';
import { sourceSchema } from './sourceSchema.js';

/** One camera: its source, model, detection thresholds, tracker, zones, lines, masks and rules. */

/** A free-text label for people reading the config; the agent itself never reads it. */
const displayName = (what: string): z.ZodOptional<z.ZodString> =>
  z.string().optional().describe(`Human-readable name of the ${what}, for people reading the config; not used by the agent.`);

export const zoneSchema = z
  .strictObject({
    id: id.describe('Zone id, unique within the camera; rules name it in `zone`. Lower-case letters, digits, "-" or "_" (1-63 chars).'),
    name: displayName('zone'),
    polygon: polygonSchema.describe(
      `The zone: a simple polygon of 3 to ${MAX_POLYGON_POINTS} normalised [x, y] points (0..1, origin top-left). An object is inside when its anchor (bottom-centre of its box) is.`,
    ),
  })
  .describe('An area of the image that rules watch.');

/** A directed line: `in` is a crossing from its left to its right, walking from `from` to `to`. */
export const lineSchema = z
  .strictObject({
    id: id.describe('Line id, unique within the camera; line_crossing rules name it in `line`. Lower-case letters, digits, "-" or "_" (1-63 chars).'),
    name: displayName('line'),
    from: pointSchema.describe('Start of the directed line segment, normalised [x, y] (0..1, origin top-left).'),
    to: pointSchema.describe(
      'End of the directed line segment, normalised [x, y] (0..1); must differ from `from`. `in` crosses from the left of from->to to its right, as seen on screen.',
    ),
  })
  .describe('A directed line segment for line_crossing rules: `in` is a crossing from its left to its right, walking from `from` to `to`.');

/** Blacked out before inference; detections anchored inside are dropped. */
export const privacyMaskSchema = z
  .strictObject({
    id: id.describe('Mask id, unique within the camera. Lower-case letters, digits, "-" or "_" (1-63 chars).'),
    name: displayName('privacy mask'),
    polygon: polygonSchema.describe(`The masked area: a simple polygon of 3 to ${MAX_POLYGON_POINTS} normalised [x, y] points (0..1, origin top-left).`),
  })
  .describe('An area painted over before inference; detections whose anchor (bottom-centre) falls inside are dropped.');

export const detectionSchema = z
  .strictObject({
    /** detections below this never open a track nor reach the policy; from tracker.lowScore they may extend one */
    minScore: z
      .number()
      .min(0)
      .max(1)
      .default(0.25)
      .describe(
        "Detector confidence (0..1) below which a detection is not trusted: it never opens a track, nor reaches the rules, overlays or counts; down to tracker.lowScore it may still keep an existing track going (the tracker's low-score stage). Default 0.25.",
      ),
    /** class-wise NMS overlap threshold */
    iouThreshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.45)
      .describe(
        'Class-wise non-maximum suppression: of two boxes of one class (or of one tracker.labelGroups group) overlapping by more than this IoU (0..1), the weaker is dropped. Default 0.45.',
      ),
  })
  .describe("The detector's score threshold and NMS overlap.");

const fraction = z.number().min(0).max(1);

/** Most label groups per camera, and labels per group (COCO has 80 classes). */
const MAX_LABEL_GROUPS = 16;
const MAX_GROUP_LABELS = 100;

/** `vehicle: [car, truck, bus]`: labels that are one kind of object; see pipelines/track/LabelGroups.ts. */
export const labelGroupsSchema = z
  .record(
    id.describe('Group name (an id: lower-case letters, digits, "-" or "_"); rules may name it in `labels`. Must not be a label of the model.'),
    z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(MAX_GROUP_LABELS)
      .describe(`Labels of the model that are this kind of object (1..${MAX_GROUP_LABELS}); a label is in at most one group.`),
  )
  .refine((groups) => Object.keys(groups).length <= MAX_LABEL_GROUPS, { message: `at most ${MAX_LABEL_GROUPS} label groups` });

/** ByteTrack-style association; see pipelines/track/ByteTracker.ts. */
export const trackerSchema = z
  .strictObject({
    /** detections at or above this score are matched first and may open tracks */
    highScore: fraction.default(0.5).describe('Detections at or above this score (0..1) are matched to tracks first. Must not be below lowScore. Default 0.5.'),
    /** detections from here up to highScore only extend tracks that the first stage left unmatched */
    lowScore: fraction
      .default(0.1)
      .describe('Detections from this score (0..1) up to highScore only extend tracks left unmatched by the first stage; lower ones are ignored. Default 0.1.'),
    /** a detection this sure opens a new track when nothing matched it */
    newTrackScore: fraction.default(0.6).describe('An unmatched detection at or above this score (0..1) opens a new track. Default 0.6.'),
    /** minimum IoU between a track's (predicted) box and a high-score detection */
    matchIou: fraction.default(0.3).describe("Minimum IoU (0..1) between a track's (predicted) box and a high-score detection to match them. Default 0.3."),
    /** minimum IoU for the second, low-score stage */
    lowMatchIou: fraction.default(0.5).describe('Minimum IoU (0..1) to match a low-score detection in the second stage. Default 0.5.'),
    /** frames a track survives unmatched; default: two seconds of frames at analyticsFps */
    maxMisses: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .optional()
      .describe(
        'Analysed frames a track coasts unmatched (still reported, moved along its velocity) before it is lost (0..1000). Default: two seconds of frames, round(2 x analyticsFps), at least 2.',
      ),
    /** then kept this long, unreported, for re-linking */
    lostSeconds: z
      .number()
      .min(0)
      .max(60)
      .default(3)
      .describe(
        "Seconds a lost track is kept after coasting, unreported, so that its object reappearing nearby (after a pole, a passer-by, a missed detection) is re-linked to it and keeps its id: the track's open events continue instead of ending and starting again. Its events end only when this time has passed too (0..60; 0: a lost track ends at once). Counted in analysed frames, round(lostSeconds x analyticsFps). Default 3.",
      ),
    /** re-linking gate: centre distance in box heights */
    relinkDistance: z
      .number()
      .min(0)
      .max(10)
      .default(1)
      .describe(
        "Re-linking: most distance from a lost or coasting track's predicted (or last seen) centre to a new detection's centre, in box heights (0..10; 0 turns re-linking off). Default 1.",
      ),
    /** re-linking gate: ratio of box heights */
    relinkSizeRatio: z
      .number()
      .min(1)
      .max(10)
      .default(1.5)
      .describe("Re-linking: most ratio between the heights of the track's last box and the new detection's box (1..10). Default 1.5."),
    /** labels that are one object kind: matched across by the tracker, suppressed across by NMS */
    labelGroups: labelGroupsSchema
      .optional()
      .describe(
        `Labels that are one kind of object, by group name, e.g. vehicle: [car, truck, bus]. Within a group NMS is class-agnostic (one van found as car and truck on one box is one detection), the tracker matches across labels, and a track reports its majority label and its group; alerts carry both, and a rule may name the group in its labels. At most ${MAX_LABEL_GROUPS} groups; {} turns grouping off. Default: vehicle: [car, truck, bus] (labels the model lacks are ignored).`,
      ),
    /** consecutive matched frames before a new track is reported (1: at once) */
    minHits: z.number().int().min(1).max(100).default(2).describe('Consecutive matched frames before a new track is reported (1: at once; 1..100). Default 2.'),
    /** move unmatched tracks along their recent velocity before matching */
    predict: z.boolean().default(true).describe('Move each track along its recent velocity before matching (constant-velocity prediction). Default true.'),
    /** recent scores and anchors kept per track */
    historyLength: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(30)
      .describe("Recent scores and anchors kept per track (frames, 1..1000); rules' minScore uses the median of these scores. Default 30."),
  })
  .describe('ByteTrack-style tracker settings: high-score detections are matched first, low-score ones only extend live tracks.');

/**
 * Motion gating (pipelines/motion/MotionGate.ts): inference is skipped while a small grey-scale
 * copy of the frame matches its running background, except every `recheckSeconds`.
 */
export const motionSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Skip inference on frames without motion. Default false.'),
    /** grey levels (0..255) a cell of the 52x52 grid must differ from the background to count as changed */
    threshold: z
      .number()
      .min(1)
      .max(255)
      .default(12)
      .describe('Grey levels (1..255) a cell of the 52x52 grey-scale copy must differ from the background to count as changed. Default 12.'),
    /** share of the image's cells that must change for motion (0.002: about 4 of 52x39 cells) */
    minAreaFraction: fraction
      .default(0.002)
      .describe("Share (0..1) of the image's cells that must change to count as motion. Default 0.002 (about 4 of 52x39 cells)."),
    /** with no motion, a frame is still inferred this often, so stationary objects keep their tracks */
    recheckSeconds: z
      .number()
      .positive()
      .max(3600)
      .default(2)
      .describe('Seconds (over 0, up to 3600) after which a frame is inferred even without motion, so stationary objects keep their tracks. Default 2.'),
    /** at least this share of cells changing at once is light or an IR switch, not motion: the background is re-learnt */
    globalChangeFraction: fraction
      .default(0.5)
      .describe('Share (0..1) of cells changing at once that counts as a light change or IR switch, not motion: the background is re-learnt. Default 0.5.'),
  })
  .describe('Motion gating: frames that match the running background skip inference, except every recheckSeconds.');

export const cameraSchema = z
  .strictObject({
    id: id.describe('Camera id, unique within the site; used in MQTT topics and alerts. Lower-case letters, digits, "-" or "_" (1-63 chars).'),
    name: displayName('camera'),
    enabled: z.boolean().default(true).describe('false: the camera is not started. Default true.'),
    source: sourceSchema,
    analyticsFps: z
      .number()
      .positive()
      .max(60)
      .default(5)
      .describe('Frames per second the model sees (ffmpeg samples the stream to this; over 0, up to 60). Default 5.'),
    model: z.string().min(1).default('yolox-nano').describe('Detection model: a name from models/registry.json. Default yolox-nano.'),
    stallTimeoutSeconds: z
      .number()
      .positive()
      .max(3600)
      .default(20)
      .describe('Seconds without a frame after which the decoder is restarted (over 0, up to 3600). Default 20.'),
    detection: detectionSchema.prefault({}),
    tracker: trackerSchema.prefault({}),
    motion: motionSchema.prefault({}),
    privacyMasks: z.array(privacyMaskSchema).default([]).describe('Areas blacked out before inference; detections anchored inside are dropped. Default none.'),
    zones: z.array(zoneSchema).default([]).describe('Named areas that zone_intrusion, loitering and crowding rules watch. Default none.'),
    lines: z.array(lineSchema).default([]).describe('Directed lines that line_crossing rules watch. Default none.'),
    /** default schedule of the camera's rules; a rule's own schedule replaces it */
    schedule: scheduleSchema.optional().describe("Default schedule of the camera's rules; a rule's own schedule replaces it. Omitted: rules are always armed."),
    rules: z.array(ruleSchema).default([]).describe('The analytics rules that turn tracks into alerts. Default none.'),
  })
  .describe('One camera: its video source, model, detection and tracking settings, zones, lines, masks and rules.');
