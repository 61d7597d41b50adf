import { z } from 'zod';
import { auditSchema } from './auditSchema.js';
import { checkCamera } from './cameraChecks.js';
import { cameraSchema } from './cameraSchema.js';
import { id, SEVERITIES } from './common.js';
import { fleetSchema } from './fleetSchema.js';
import { formatIssues } from './formatIssues.js';
import { inferenceSchema } from './inferenceSchema.js';
import { metricsSchema, statsSchema } from './metricsSchema.js';
import { mqttSchema } from './mqttSchema.js';
import { outboxSchema } from './outboxSchema.js';

export { describeValue, formatIssues, formatPath } from './formatIssues.js';
export { id, pointSchema, polygonSchema, secretRef, SEVERITIES } from './common.js';
export { cameraSchema, detectionSchema, lineSchema, privacyMaskSchema, trackerSchema, zoneSchema } from './cameraSchema.js';
export { isLoopbackHost, metricsAuthSchema, metricsSchema, statsSchema } from './metricsSchema.js';
export { mqttSchema } from './mqttSchema.js';
export {
  crowdingRuleSchema,
  lineCrossingRuleSchema,
  loiteringRuleSchema,
  objectPresentRuleSchema,
  ruleSchema,
  zoneIntrusionRuleSchema,
} from './rulesSchema.js';
export { scheduleSchema, type ScheduleConfig } from './scheduleSchema.js';
export { sourceSchema } from './sourceSchema.js';

/**
 * The site config: one document per edge box, validated here and nowhere else. Unknown keys are
 * errors (a typo in a rule must not silently disable it). Secrets are references (`env:NAME`,
 * `file:/path`) resolved by the loader in agent/, never stored in this object unresolved.
 */

export const siteConfigSchema = z
  .strictObject({
    version: z
      .number()
      .int()
      .min(1)
      .describe(
        'Config version, an integer from 1; alerts carry it. A push or reload runs only when its version is above the one running, so bump it on every change.',
      ),
    site: z
      .strictObject({
        id: id.describe('Site id, used in MQTT topics ({prefix}/{site}/...) and alerts. Lower-case letters, digits, "-" or "_" (1-63 chars).'),
        name: z.string().optional().describe('Human-readable name of the site, for people reading the config; not used by the agent.'),
      })
      .describe('Which edge site this box is.'),
    ffmpegPath: z.string().min(1).optional().describe('The ffmpeg binary. Default: FFMPEG_PATH, else ffmpeg on PATH.'),
    mqtt: mqttSchema,
    outbox: outboxSchema.prefault({}),
    metrics: metricsSchema.prefault({}),
    stats: statsSchema.prefault({}),
    audit: auditSchema.prefault({}),
    inference: inferenceSchema.prefault({}),
    fleet: fleetSchema.optional(),
    cameras: z.array(cameraSchema).min(1).describe('The cameras this box analyses; at least one, ids unique.'),
  })
  .superRefine((config, ctx) => {
    const cameraIds = new Set<string>();
    config.cameras.forEach((camera, c) => {
      if (cameraIds.has(camera.id)) {
        ctx.addIssue({ code: 'custom', path: ['cameras', c, 'id'], message: `duplicate camera id "${camera.id}"` });
      }
      cameraIds.add(camera.id);
      checkCamera(camera, ['cameras', c], ctx);
    });
  })
  .describe('One c5 edge agent site: its broker, outbox, metrics, audit log, inference and cameras. Unknown keys are errors.');

export type SiteConfigInput = z.input<typeof siteConfigSchema>;
export type SiteConfig = z.output<typeof siteConfigSchema>;
export type CameraConfig = SiteConfig['cameras'][number];
export type RuleConfig = CameraConfig['rules'][number];
export type ZoneConfig = CameraConfig['zones'][number];
export type LineConfig = CameraConfig['lines'][number];
export type PrivacyMaskConfig = CameraConfig['privacyMasks'][number];
export type TrackerConfig = CameraConfig['tracker'];
export type Severity = (typeof SEVERITIES)[number];

export type ParseResult = { ok: true; config: SiteConfig } | { ok: false; errors: string[] };

/** Validates an already-parsed document (secrets resolved by the caller). */
export function parseSiteConfig(input: unknown): ParseResult {
  const result = siteConfigSchema.safeParse(input);
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, errors: formatIssues(result.error.issues, input) };
}
