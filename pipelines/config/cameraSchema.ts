import { z } from 'zod';
import { id, pointSchema, polygonSchema } from './common.js';
import { ruleSchema } from './rulesSchema.js';
import { scheduleSchema } from './scheduleSchema.js';
import { sourceSchema } from './sourceSchema.js';

/** One camera: its source, model, detection thresholds, tracker, zones, lines, masks and rules. */

export const zoneSchema = z.strictObject({
  id,
  name: z.string().optional(),
  polygon: polygonSchema,
});

/** A directed line: `in` is a crossing from its left to its right, walking from `from` to `to`. */
export const lineSchema = z.strictObject({
  id,
  name: z.string().optional(),
  from: pointSchema,
  to: pointSchema,
});

/** Blacked out before inference; detections anchored inside are dropped. */
export const privacyMaskSchema = z.strictObject({
  id,
  name: z.string().optional(),
  polygon: polygonSchema,
});

export const detectionSchema = z.strictObject({
  /** detections below this never reach the policy */
  minScore: z.number().min(0).max(1).default(0.25),
  /** class-wise NMS overlap threshold */
  iouThreshold: z.number().min(0).max(1).default(0.45),
});

const fraction = z.number().min(0).max(1);

/** ByteTrack-style association; see pipelines/track/ByteTracker.ts. */
export const trackerSchema = z.strictObject({
  /** detections at or above this score are matched first and may open tracks */
  highScore: fraction.default(0.5),
  /** detections from here up to highScore only extend tracks that the first stage left unmatched */
  lowScore: fraction.default(0.1),
  /** a detection this sure opens a new track when nothing matched it */
  newTrackScore: fraction.default(0.6),
  /** minimum IoU between a track's (predicted) box and a high-score detection */
  matchIou: fraction.default(0.3),
  /** minimum IoU for the second, low-score stage */
  lowMatchIou: fraction.default(0.5),
  /** frames a track survives unmatched; default: two seconds of frames at analyticsFps */
  maxMisses: z.number().int().min(0).max(1000).optional(),
  /** consecutive matched frames before a new track is reported (1: at once) */
  minHits: z.number().int().min(1).max(100).default(2),
  /** move unmatched tracks along their recent velocity before matching */
  predict: z.boolean().default(true),
  /** recent scores and anchors kept per track */
  historyLength: z.number().int().min(1).max(1000).default(30),
});

/**
 * Motion gating (pipelines/motion/MotionGate.ts): inference is skipped while a small grey-scale
 * copy of the frame matches its running background, except every `recheckSeconds`.
 */
export const motionSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** grey levels (0..255) a cell of the 52x52 grid must differ from the background to count as changed */
  threshold: z.number().min(1).max(255).default(12),
  /** share of the image's cells that must change for motion (0.002: about 4 of 52x39 cells) */
  minAreaFraction: fraction.default(0.002),
  /** with no motion, a frame is still inferred this often, so stationary objects keep their tracks */
  recheckSeconds: z.number().positive().max(3600).default(2),
  /** at least this share of cells changing at once is light or an IR switch, not motion: the background is re-learnt */
  globalChangeFraction: fraction.default(0.5),
});

export const cameraSchema = z.strictObject({
  id,
  name: z.string().optional(),
  enabled: z.boolean().default(true),
  source: sourceSchema,
  analyticsFps: z.number().positive().max(60).default(5),
  model: z.string().min(1).default('yolox-nano'),
  stallTimeoutSeconds: z.number().positive().max(3600).default(20),
  detection: detectionSchema.prefault({}),
  tracker: trackerSchema.prefault({}),
  motion: motionSchema.prefault({}),
  privacyMasks: z.array(privacyMaskSchema).default([]),
  zones: z.array(zoneSchema).default([]),
  lines: z.array(lineSchema).default([]),
  /** default schedule of the camera's rules; a rule's own schedule replaces it */
  schedule: scheduleSchema.optional(),
  rules: z.array(ruleSchema).default([]),
});
