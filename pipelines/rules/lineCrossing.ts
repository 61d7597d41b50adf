import type { LineCrossingRule } from '../config/rulesSchema.js';
import type { CrossingDirection, Point } from '../types.js';
import { standingPoint, segmentsIntersect, signedDistanceToLine } from '../geometry.js';
import type { RuleContext, RuleEvaluator } from './RuleEvaluator.js';
import type { ConditionResult } from './TrackCondition.js';
import { TrackRule } from './TrackRule.js';

/**
 * The direction of a crossing that ends on this side of the directed line, given the sign of
 * `signedDistanceToLine` there: `in` ends on the right of `from`→`to` as seen on screen. The one
 * definition of `in`: the rule below judges crossings with it and `c5-agent snapshot` points its
 * arrow with it (pipelines/overlay/lineInArrow.ts).
 */
export function crossingDirectionInto(signedDistance: number): CrossingDirection {
  return signedDistance > 0 ? 'in' : 'out';
}

/**
 * `line_crossing`: the anchor passes from one side of a directed line segment to the other. A side
 * only counts once the anchor is at least `minDisplacement` from the line, so a box jittering on
 * the line never crosses; and each crossing counts once. `in` is from the left of `from`→`to` to
 * its right as seen on screen, `out` the reverse. The first crossing starts the event, each later
 * one sends an `update` (at most every `updateIntervalSeconds`), and the event ends when the track
 * is lost. Filters are judged at the moment of crossing.
 */
export function createLineCrossingRule(rule: LineCrossingRule, context: RuleContext): RuleEvaluator {
  const { from, to } = context.line(rule.line);
  return new TrackRule(rule, context.filters, () => {
    /** -1 left, +1 right, 0 not yet known */
    let side = 0;
    let sidePoint: Point = [0, 0];
    let crossings = 0;
    let announced = false;
    return {
      observe: (track): ConditionResult => {
        const anchor = standingPoint(track);
        const distance = signedDistanceToLine(anchor, from, to);
        const values = { line: rule.line, distance, minDisplacement: rule.minDisplacement };
        const firstLook = !announced;
        announced = true;
        const nothingYet: ConditionResult = firstLook ? { kind: 'fails', reason: 'not_crossed', values } : { kind: 'quiet' };
        if (Math.abs(distance) < rule.minDisplacement) return nothingYet;
        const nowSide = distance > 0 ? 1 : -1;
        const previous = sidePoint;
        const wasSide = side;
        side = nowSide;
        sidePoint = anchor;
        // Passing around the end of the segment changes side without crossing it.
        if (wasSide === 0 || wasSide === nowSide || !segmentsIntersect(previous, anchor, from, to)) return nothingYet;
        const direction = crossingDirectionInto(nowSide);
        if (rule.direction !== 'both' && direction !== rule.direction) {
          return { kind: 'fails', reason: 'wrong_direction', values: { ...values, direction, expected: rule.direction } };
        }
        crossings += 1;
        const event = { line: { id: rule.line, direction } };
        return { kind: 'holds', values: { ...values, direction, crossings }, event, key: `c${crossings}`, updateReason: 'line_crossed' };
      },
    };
  });
}
