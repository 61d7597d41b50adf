import type { ZoneIntrusionRule } from '../config/rulesSchema.js';
import { standingPoint } from '../geometry.js';
import type { RuleContext, RuleEvaluator } from './RuleEvaluator.js';
import { TrackRule } from './TrackRule.js';
import { ZoneMembership } from './ZoneMembership.js';

/**
 * `zone_intrusion`: the anchor (bottom-centre of the box) inside the zone's polygon for `inertia`
 * frames starts the event; outside for `inertia` frames ends it.
 */
export function createZoneIntrusionRule(rule: ZoneIntrusionRule, context: RuleContext): RuleEvaluator {
  const polygon = context.zone(rule.zone);
  const event = { zoneId: rule.zone };
  return new TrackRule(rule, context.filters, () => {
    const membership = new ZoneMembership(polygon, rule.inertia);
    return {
      observe: (track, now) => {
        const values = { zone: rule.zone, inertia: rule.inertia };
        if (membership.observe(standingPoint(track), now)) {
          return { kind: 'holds', values, event, key: 'inside', updateReason: 'matched' };
        }
        return { kind: 'fails', reason: 'outside_zone', values, endReason: 'left_zone', event };
      },
    };
  });
}
