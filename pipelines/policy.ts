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
  /** per rule: everything that decides how it judges, so an unchanged rule can be recognised */
  private readonly definitions: ReadonlyMap<RuleEvaluator, string>;

  /**
   * With `previous` (the policy this one replaces on the same camera), every rule whose whole
   * definition is unchanged (its config, the zone or line it uses, the masks and its schedule)
   * keeps the previous evaluator, open events and all: a pushed change to one rule does not
   * end and restart the events of the others.
   */
  constructor(camera: PolicyCamera, previous?: RulePolicy) {
    const zones = new Map(camera.zones.map((zone) => [zone.id, zone.polygon]));
    const lines = new Map(camera.lines.map((line) => [line.id, line]));
    const schedules = new Map<object, Schedule>();
    const scheduleOf = (config: NonNullable<PolicyCamera['schedule']>): Schedule => {
      let schedule = schedules.get(config);
      if (!schedule) schedules.set(config, (schedule = new Schedule(config)));
      return schedule;
    };
    const definitions = new Map<RuleEvaluator, string>();
    this.rules = camera.rules.map((rule) => {
      const scheduleConfig = rule.schedule ?? camera.schedule;
      const definition = JSON.stringify({
        rule,
        zone: 'zone' in rule ? zones.get(rule.zone) : undefined,
        line: 'line' in rule ? lines.get(rule.line) : undefined,
        masks: camera.privacyMasks,
        schedule: scheduleConfig,
      });
      const evaluator =
        previous?.unchanged(rule.id, definition) ??
        createRule(rule, {
          filters: new RuleFilters(rule, scheduleConfig ? scheduleOf(scheduleConfig) : undefined, camera.privacyMasks),
          zone: (id) => required(zones.get(id), rule, 'zone', id),
          line: (id) => required(lines.get(id), rule, 'line', id),
        });
      definitions.set(evaluator, definition);
      return evaluator;
    });
    this.definitions = definitions;
  }

  evaluate(input: PolicyInput): Decision[] {
    return this.rules.flatMap((rule) => rule.evaluate(input));
  }

  /** Ends the events still open, except those of rules `next` carried over. */
  close(now: number, next?: Policy): Decision[] {
    const carried = next instanceof RulePolicy ? next.definitions : undefined;
    return this.rules.filter((rule) => !carried?.has(rule)).flatMap((rule) => rule.close(now));
  }

  private unchanged(ruleId: string, definition: string): RuleEvaluator | undefined {
    return this.rules.find((rule) => rule.ruleId === ruleId && this.definitions.get(rule) === definition);
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
