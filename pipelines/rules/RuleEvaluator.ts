import type { LineConfig } from '../config/siteConfig.js';
import type { Decision, Point, Track } from '../types.js';
import type { RuleFilters } from './RuleFilters.js';

export interface PolicyInput {
  readonly active: readonly Track[];
  readonly ended: readonly Track[];
  readonly now: number;
}

/** One configured rule, with whatever state it keeps between frames. */
export interface RuleEvaluator {
  readonly ruleId: string;
  evaluate(input: PolicyInput): Decision[];
  /** ends every open event of the rule: the rule is being replaced */
  close(now: number): Decision[];
}

/** What a rule needs from its camera, resolved once when the policy is built. */
export interface RuleContext {
  readonly filters: RuleFilters;
  /** the zone's polygon; the config check guarantees it exists */
  zone(id: string): readonly Point[];
  line(id: string): LineConfig;
}
