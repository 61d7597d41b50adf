import { z } from 'zod';
import { id, SEVERITIES } from './common.js';

/** Analytics rules: one schema per rule type, discriminated on `type`. */

const ruleBase = {
  id,
  labels: z.array(z.string().min(1)).min(1),
  minScore: z.number().min(0).max(1).default(0.5),
  severity: z.enum(SEVERITIES).default('medium'),
};

export const objectPresentRuleSchema = z.strictObject({
  ...ruleBase,
  type: z.literal('object_present'),
});

export const zoneIntrusionRuleSchema = z.strictObject({
  ...ruleBase,
  type: z.literal('zone_intrusion'),
  zone: id,
});

export const ruleSchema = z.discriminatedUnion('type', [objectPresentRuleSchema, zoneIntrusionRuleSchema]);

