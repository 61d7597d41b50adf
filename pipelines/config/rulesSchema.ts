import { z } from 'zod';
import { id, SEVERITIES } from './common.js';
import { scheduleSchema } from './scheduleSchema.js';

/**
 * Analytics rules: one schema per rule type, discriminated on `type`. Every rule has the same
 * filters (labels, score, box area, track age, schedule, cooldown); each type adds its condition.
 */

const fraction = z.number().min(0).max(1);

const ruleBase = {
  id: id.describe('Rule id, unique within the camera; alerts carry it as ruleId. Lower-case letters, digits, "-" or "_" (1-63 chars).'),
  labels: z
    .array(z.string().min(1))
    .min(1)
    .describe(
      "Object classes the rule is about, as named in the model's label list (e.g. person, car for yolox-nano's COCO labels), or a label group of the camera's tracker.labelGroups (e.g. vehicle: any track of the group); a label selects tracks whose majority label it is. At least one.",
    ),
  /** compared with the median of the track's recent scores, not one frame's */
  minScore: fraction
    .default(0.5)
    .describe("Minimum median (0..1) of the track's recent detection scores (the last tracker.historyLength), not one frame's score. Default 0.5."),
  severity: z.enum(SEVERITIES).default('medium').describe('Severity the alerts carry: info, low, medium, high or critical. Default medium.'),
  /** box area as a fraction of the frame */
  minBoxArea: fraction.default(0).describe("Minimum box area as a fraction (0..1) of the frame's area. Default 0."),
  maxBoxArea: fraction.default(1).describe("Maximum box area as a fraction (0..1) of the frame's area; not below minBoxArea. Default 1."),
  /** seconds since the track was first seen */
  minTrackAge: z.number().min(0).max(3600).default(0).describe('Seconds (0..3600) since the track was first seen before the rule considers it. Default 0.'),
  /** when the rule is armed; the camera's schedule when omitted, else always */
  schedule: scheduleSchema.optional().describe("When the rule is armed; replaces the camera's schedule. Omitted: the camera's schedule, else always."),
  /** after an event of this rule ends, the same object (crowding: zone) cannot start another for this long */
  cooldownSeconds: z
    .number()
    .min(0)
    .max(86_400)
    .default(0)
    .describe('Seconds (0..86400) after an event of this rule ends during which the same object (crowding: the zone) cannot start another. Default 0.'),
  /** an open event sends at most one `update` this often */
  updateIntervalSeconds: z
    .number()
    .min(0)
    .max(3600)
    .default(10)
    .describe('Seconds (0..3600): an open event sends at most one update alert this often. Default 10.'),
};

/** Frames the anchor must stay inside (or outside) a zone before the rule believes it. */
const inertia = z.number().int().min(1).max(100).default(2);
const zoneInertia = inertia.describe(
  'Consecutive analysed frames (1..100) the anchor must be seen inside, or outside, the zone before entering or leaving counts. Default 2.',
);

export const objectPresentRuleSchema = z
  .strictObject({
    ...ruleBase,
    type: z.literal('object_present').describe('object_present: any object of the labels that passes the filters.'),
  })
  .describe('object_present rule: alerts on any tracked object of its labels that passes the filters.');

export const zoneIntrusionRuleSchema = z
  .strictObject({
    ...ruleBase,
    type: z.literal('zone_intrusion').describe('zone_intrusion: an object whose anchor (bottom-centre of its box) is inside the zone.'),
    zone: id.describe("Id of one of the camera's zones."),
    inertia: zoneInertia,
  })
  .describe('zone_intrusion rule: one event per object while its anchor is inside the zone.');

export const LINE_DIRECTIONS = ['in', 'out', 'both'] as const;

export const lineCrossingRuleSchema = z
  .strictObject({
    ...ruleBase,
    type: z.literal('line_crossing').describe("line_crossing: an object's anchor crosses the line segment."),
    line: id.describe("Id of one of the camera's lines."),
    /** `in`: from the left of the line (walking from `from` to `to`) to its right, as seen on screen */
    direction: z
      .enum(LINE_DIRECTIONS)
      .default('both')
      .describe('Crossings that count: in (from the left of from->to to its right, as seen on screen), out (the reverse) or both. Default both.'),
    /** the anchor must get this far from the line (normalised units) on each side to count */
    minDisplacement: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.02)
      .describe(
        'Distance from the line, in normalised units (fractions of the frame, 0..0.5), the anchor must reach on each side for a crossing to count. Default 0.02.',
      ),
  })
  .describe('line_crossing rule: one event per object, started by its first crossing; each later crossing is an update.');

export const loiteringRuleSchema = z
  .strictObject({
    ...ruleBase,
    type: z.literal('loitering').describe('loitering: an object stays in the zone for at least dwellSeconds.'),
    zone: id.describe("Id of one of the camera's zones."),
    dwellSeconds: z
      .number()
      .positive()
      .max(86_400)
      .describe('Seconds (over 0, up to 86400) the object must stay in the zone; required. Each further multiple of it sends an update.'),
    inertia: zoneInertia,
  })
  .describe('loitering rule: one event per object that stays in the zone for dwellSeconds; the alert carries dwellSeconds.');

export const crowdingRuleSchema = z
  .strictObject({
    ...ruleBase,
    type: z.literal('crowding').describe('crowding: at least minCount objects in the zone at once for minDurationSeconds.'),
    zone: id.describe("Id of one of the camera's zones."),
    /** tracks of the rule's labels in the zone at once */
    minCount: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .describe("Objects of the rule's labels that pass its filters with their anchor in the zone at once (1..10000); required."),
    /** for at least this long before the crowd is reported */
    minDurationSeconds: z.number().min(0).max(86_400).describe('Seconds (0..86400) the count must hold before the crowd is reported; required.'),
    inertia: inertia.describe('Consecutive analysed frames (1..100) the count must stay below minCount before the crowd ends. Default 2.'),
  })
  .describe('crowding rule: one event per zone (not per object); the alert carries count and no object.');

export const ruleSchema = z
  .discriminatedUnion('type', [objectPresentRuleSchema, zoneIntrusionRuleSchema, lineCrossingRuleSchema, loiteringRuleSchema, crowdingRuleSchema])
  .describe('An analytics rule, chosen by type: object_present, zone_intrusion, line_crossing, loitering or crowding.');

export const RULE_TYPES = ['object_present', 'zone_intrusion', 'line_crossing', 'loitering', 'crowding'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export type ObjectPresentRule = z.output<typeof objectPresentRuleSchema>;
export type ZoneIntrusionRule = z.output<typeof zoneIntrusionRuleSchema>;
export type LineCrossingRule = z.output<typeof lineCrossingRuleSchema>;
export type LoiteringRule = z.output<typeof loiteringRuleSchema>;
export type CrowdingRule = z.output<typeof crowdingRuleSchema>;
