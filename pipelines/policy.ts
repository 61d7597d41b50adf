import type { CameraConfig, RuleConfig } from './config/siteConfig.js';
import { ConfigError } from './errors.js';
import { createCrowdingRule } from './rules/crowding.js';
import { createLineCrossingRule } from './rules/lineCrossing.js';
import { createLoiteringRule } from './rules/loitering.js';
import { createObjectPresentRule } from './rules/objectPresent.js';
import type { PolicyInput, RuleContext, RuleEvaluator } from './rules/RuleEvaluator.js';
import { RuleFilters } from './rules/RuleFilters.js';
import { Schedule } from './rules/schedule.js';
import { createZoneIntrusionRule } from './rules/zoneIntrusion.js';
import type { Policy } from './stages.js';
import type { Decision } from './types.js';

export type PolicyCamera = Pick<CameraConfig, 'rules' | 'zones' | 'lines' | 'privacyMasks' | 'schedule'>;

/**
 * Turns tracks into decisions for one camera's rules. Events are per (rule, track), or per
 * (rule, zone) for crowding: `start` once the rule's conditions hold, `update` when what the
 * centre cares about changes, `end` when the object leaves or is lost. Suppressions are reported
 * when their reason changes, so the caller can audit the first suppression without a decision per
 * frame. Pure: time comes in with the tracks.
 */
export class RulePolicy implements Policy {
  private readonly rules: readonly RuleEvaluator[];

  constructor(camera: PolicyCamera) {
    const zones = new Map(camera.zones.map((zone) => [zone.id, zone.polygon]));
    const lines = new Map(camera.lines.map((line) => [line.id, line]));
    const schedules = new Map<object, Schedule>();
    const scheduleOf = (config: NonNullable<PolicyCamera['schedule']>): Schedule => {
      let schedule = schedules.get(config);
      if (!schedule) schedules.set(config, (schedule = new Schedule(config)));
      return schedule;
    };
    this.rules = camera.rules.map((rule) => {
      const scheduleConfig = rule.schedule ?? camera.schedule;
      const context: RuleContext = {
        filters: new RuleFilters(rule, scheduleConfig ? scheduleOf(scheduleConfig) : undefined, camera.privacyMasks),
        zone: (id) => required(zones.get(id), rule, 'zone', id),
        line: (id) => required(lines.get(id), rule, 'line', id),
      };
      return createRule(rule, context);
    });
  }

  evaluate(input: PolicyInput): Decision[] {
    return this.rules.flatMap((rule) => rule.evaluate(input));
  }

  close(now: number): Decision[] {
    return this.rules.flatMap((rule) => rule.close(now));
  }
}

function createRule(rule: RuleConfig, context: RuleContext): RuleEvaluator {
  switch (rule.type) {
    case 'object_present':
      return createObjectPresentRule(rule, context);
    case 'zone_intrusion':
      return createZoneIntrusionRule(rule, context);
    case 'line_crossing':
      return createLineCrossingRule(rule, context);
    case 'loitering':
      return createLoiteringRule(rule, context);
    case 'crowding':
      return createCrowdingRule(rule, context);
  }
}

/** The site config check rejects unknown references first; this guards a camera built by hand. */
function required<T>(value: T | undefined, rule: RuleConfig, what: string, id: string): T {
  if (value === undefined) throw new ConfigError('unknown_reference', `rule "${rule.id}": unknown ${what} "${id}"`);
  return value;
}
