import type { ObjectPresentRule } from '../config/rulesSchema.js';
import type { RuleContext, RuleEvaluator } from './RuleEvaluator.js';
import { TrackRule } from './TrackRule.js';

/** `object_present`: an object of the rule's labels that passes the filters, anywhere in the frame. */
export function createObjectPresentRule(rule: ObjectPresentRule, context: RuleContext): RuleEvaluator {
  return new TrackRule(rule, context.filters, () => ({
    observe: () => ({ kind: 'holds', values: {}, event: {}, key: 'present', updateReason: 'matched' }),
  }));
}
