import { z } from 'zod';
import { id, polygonSchema } from './common.js';
import { ruleSchema } from './rulesSchema.js';
import { sourceSchema } from './sourceSchema.js';

/** One camera: its source, model, detection thresholds, zones and rules. */

export const zoneSchema = z.strictObject({
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

export const cameraSchema = z.strictObject({
  id,
  name: z.string().optional(),
  enabled: z.boolean().default(true),
  source: sourceSchema,
  analyticsFps: z.number().positive().max(60).default(5),
  model: z.string().min(1).default('yolox-nano'),
  stallTimeoutSeconds: z.number().positive().max(3600).default(20),
  detection: detectionSchema.prefault({}),
  zones: z.array(zoneSchema).default([]),
  rules: z.array(ruleSchema).default([]),
});

