import { z } from 'zod';
import { id, SEVERITIES } from './common.js';
import { scheduleSchema } from './scheduleSchema.js';

/**
 * Analytics rules: one schema per rule type, discriminated on `type`. Every rule has the same
 * filters (labels, score, box area, track age, schedule, cooldown); each type adds its condition.
 */

const fraction = z.number().min(0).max(1);

const ruleBase = {
  id,
  labels: z.array(z.string().min(1)).min(1),
  /** compared with the median of the track's recent scores, not one frame's */
  minScore: fraction.default(0.5),
  severity: z.enum(SEVERITIES).default('medium'),
  /** box area as a fraction of the frame */
  minBoxArea: fraction.default(0),
  maxBoxArea: fraction.default(1),
  /** seconds since the track was first seen */
  minTrackAge: z.number().min(0).max(3600).default(0),
  /** when the rule is armed; the camera's schedule when omitted, else always */
  schedule: scheduleSchema.optional(),
  /** after an event of this rule ends, the same object (crowding: zone) cannot start another for this long */
  cooldownSeconds: z.number().min(0).max(86_400).default(0),
  /** an open event sends at most one `update` this often */
  updateIntervalSeconds: z.number().min(0).max(3600).default(10),
};

/** Frames the anchor must stay inside (or outside) a zone before the rule believes it. */
const inertia = z.number().int().min(1).max(100).default(2);

export const objectPresentRuleSchema = z.strictObject({
  ...ruleBase,
  type: z.literal('object_present'),
});

export const zoneIntrusionRuleSchema = z.strictObject({
  ...ruleBase,
  type: z.literal('zone_intrusion'),
  zone: id,
  inertia,
});

export const LINE_DIRECTIONS = ['in', 'out', 'both'] as const;

export const lineCrossingRuleSchema = z.strictObject({
  ...ruleBase,
  type: z.literal('line_crossing'),
  line: id,
  /** `in`: from the left of the line (walking from `from` to `to`) to its right, as seen on screen */
  direction: z.enum(LINE_DIRECTIONS).default('both'),
  /** the anchor must get this far from the line (normalised units) on each side to count */
  minDisplacement: z.number().min(0).max(0.5).default(0.02),
});

export const loiteringRuleSchema = z.strictObject({
  ...ruleBase,
  type: z.literal('loitering'),
  zone: id,
  dwellSeconds: z.number().positive().max(86_400),
  inertia,
});

export const crowdingRuleSchema = z.strictObject({
  ...ruleBase,
  type: z.literal('crowding'),
  zone: id,
  /** tracks of the rule's labels in the zone at once */
  minCount: z.number().int().min(1).max(10_000),
  /** for at least this long before the crowd is reported */
  minDurationSeconds: z.number().min(0).max(86_400),
  inertia,
});

export const ruleSchema = z.discriminatedUnion('type', [
  objectPresentRuleSchema,
  zoneIntrusionRuleSchema,
  lineCrossingRuleSchema,
  loiteringRuleSchema,
  crowdingRuleSchema,
]);

export const RULE_TYPES = ['object_present', 'zone_intrusion', 'line_crossing', 'loitering', 'crowding'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export type ObjectPresentRule = z.output<typeof objectPresentRuleSchema>;
export type ZoneIntrusionRule = z.output<typeof zoneIntrusionRuleSchema>;
export type LineCrossingRule = z.output<typeof lineCrossingRuleSchema>;
export type LoiteringRule = z.output<typeof loiteringRuleSchema>;
export type CrowdingRule = z.output<typeof crowdingRuleSchema>;
