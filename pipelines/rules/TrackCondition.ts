import type { DecisionReason, EventFacts, Track } from '../types.js';
import type { DecisionValues } from './EventLifecycle.js';

/** What a rule's own condition says about one track on one observed frame. */
export type ConditionResult =
  | {
      readonly kind: 'holds';
      readonly values: DecisionValues;
      readonly event: EventFacts;
      /** what the centre cares about; an open event sends an `update` when it changes */
      readonly key: string;
      readonly updateReason: DecisionReason;
    }
  | {
      readonly kind: 'fails';
      readonly reason: DecisionReason;
      readonly values: DecisionValues;
      /** when set, an open event ends with this reason (leaving the zone); else it stays open */
      readonly endReason?: DecisionReason;
      readonly event?: EventFacts;
    }
  /** nothing new this frame (no crossing since the last one): no decision either way */
  | { readonly kind: 'quiet' };

/** Per-(rule, track) state of one rule type's condition, fed every frame the track is observed. */
export interface TrackCondition {
  observe(track: Track, now: number): ConditionResult;
}
