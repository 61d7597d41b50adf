import type { CrowdingRule } from '../config/rulesSchema.js';
import type { Decision, EventFacts, Track } from '../types.js';
import { EventLifecycle, type DecisionValues } from './EventLifecycle.js';
import { standingPoint, pointInPolygon } from '../geometry.js';
import type { PolicyInput, RuleContext, RuleEvaluator } from './RuleEvaluator.js';

/**
 * `crowding`: at least `minCount` tracks of the rule's labels that pass its filters have their
 * anchor in the zone, for at least `minDurationSeconds`. One event per (rule, zone), carrying the
 * count, never one per person: `start` with the count, `update` when the count changes (at most
 * every `updateIntervalSeconds`), `end` once the count has stayed below `minCount` for `inertia`
 * frames. Coasting tracks still count: a person hidden for a frame in a crowd is still there.
 */
export function createCrowdingRule(rule: CrowdingRule, context: RuleContext): RuleEvaluator {
  const polygon = context.zone(rule.zone);
  const { filters } = context;
  const lifecycle = new EventLifecycle({
    ruleId: rule.id,
    trackId: null,
    updateIntervalMs: rule.updateIntervalSeconds * 1000,
    cooldownMs: rule.cooldownSeconds * 1000,
  });
  /** when the count first reached minCount in the current run of frames */
  let heldSince: number | undefined;
  let framesBelow = 0;
  let lastCount = 0;

  const members = (active: readonly Track[], now: number): Track[] =>
    active.filter((track) => filters.selects(track) && filters.judge(track, now).blocked === undefined && pointInPolygon(standingPoint(track), polygon));

  return {
    ruleId: rule.id,
    evaluate({ active, now }: PolicyInput): Decision[] {
      const inZone = members(active, now);
      const count = inZone.length;
      lastCount = count;
      const event: EventFacts = { zoneId: rule.zone, count };
      const values: DecisionValues = {
        zone: rule.zone,
        count,
        minCount: rule.minCount,
        minDurationSeconds: rule.minDurationSeconds,
        trackIds: inZone.map((t) => t.id).join(','),
      };
      const decision = judge(now, count, values, event);
      return decision ? [decision] : [];
    },
    close(now: number): Decision[] {
      const decision = lifecycle.end(now, 'policy_replaced', { count: lastCount }, { zoneId: rule.zone, count: lastCount });
      return decision ? [decision] : [];
    },
  };

  function judge(now: number, count: number, values: DecisionValues, event: EventFacts): Decision | undefined {
    if (!filters.isArmed(now)) {
      heldSince = undefined;
      const scheduled = { ...values, ...filters.scheduleValues(now) };
      return lifecycle.open ? lifecycle.end(now, 'schedule_inactive', scheduled, event) : lifecycle.suppress('schedule_inactive', scheduled);
    }
    if (count >= rule.minCount) {
      framesBelow = 0;
      heldSince ??= now;
      const heldSeconds = (now - heldSince) / 1000;
      const held = { ...values, heldSeconds };
      if (lifecycle.open) return lifecycle.update(now, 'crowd_count_changed', held, event, `n${count}`);
      if (heldSeconds < rule.minDurationSeconds) return lifecycle.suppress('crowd_too_short', held);
      return lifecycle.start(now, held, event, `n${count}`);
    }
    // A crowd (open, or forming) that thins for fewer than `inertia` frames is the same crowd.
    framesBelow += 1;
    const forming = lifecycle.open || heldSince !== undefined;
    if (forming && framesBelow < rule.inertia) return undefined;
    heldSince = undefined;
    if (lifecycle.open) return lifecycle.end(now, 'crowd_dispersed', values, event, 'crowd_too_small');
    return lifecycle.suppress('crowd_too_small', values);
  }
}
