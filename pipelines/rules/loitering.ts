import type { LoiteringRule } from '../config/rulesSchema.js';
import { standingPoint } from '../geometry.js';
import type { RuleContext, RuleEvaluator } from './RuleEvaluator.js';
import { TrackRule } from './TrackRule.js';
import { ZoneMembership } from './ZoneMembership.js';

/**
 * `loitering`: the object has stayed in the zone for at least `dwellSeconds`. The event starts when
 * the dwell passes the threshold, sends an `update` each time it passes another multiple of it
 * (at most every `updateIntervalSeconds`), and ends when the object leaves or is lost.
 */
export function createLoiteringRule(rule: LoiteringRule, context: RuleContext): RuleEvaluator {
  const polygon = context.zone(rule.zone);
  return new TrackRule(rule, context.filters, () => {
    const membership = new ZoneMembership(polygon, rule.inertia);
    let lastDwell = 0;
    return {
      observe: (track, now) => {
        const inside = membership.observe(standingPoint(track), now);
        const enteredAt = membership.enteredAt;
        if (!inside || enteredAt === undefined) {
          const event = { zoneId: rule.zone, dwellSeconds: lastDwell };
          lastDwell = 0;
          return { kind: 'fails', reason: 'outside_zone', values: { zone: rule.zone }, endReason: 'left_zone', event };
        }
        const dwellSeconds = (now - enteredAt) / 1000;
        lastDwell = dwellSeconds;
        const values = { zone: rule.zone, dwellSeconds, minDwellSeconds: rule.dwellSeconds };
        if (dwellSeconds < rule.dwellSeconds) return { kind: 'fails', reason: 'dwell_too_short', values };
        const event = { zoneId: rule.zone, dwellSeconds };
        const step = Math.floor(dwellSeconds / rule.dwellSeconds);
        return { kind: 'holds', values, event, key: `x${step}`, updateReason: 'dwell_threshold_passed' };
      },
    };
  });
}
