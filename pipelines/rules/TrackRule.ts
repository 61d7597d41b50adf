import type { RuleConfig } from '../config/siteConfig.js';
import type { Decision, EventFacts, Track } from '../types.js';
import { EventLifecycle, type DecisionValues } from './EventLifecycle.js';
import type { PolicyInput, RuleEvaluator } from './RuleEvaluator.js';
import type { RuleFilters } from './RuleFilters.js';
import type { ConditionResult, TrackCondition } from './TrackCondition.js';

type Holds = Extract<ConditionResult, { kind: 'holds' }>;

interface Pair {
  readonly condition: TrackCondition;
  readonly lifecycle: EventLifecycle;
  /** the latest frame on which the condition held: what an update or end reports */
  lastHeld: Holds | undefined;
}

/**
 * A rule judged per track (object_present, zone_intrusion, line_crossing, loitering): the rule
 * type's condition plus the filters every rule shares, turned into one event per (rule, track).
 * A coasting track (missed this frame) neither starts nor ends an event; a lost one ends it.
 */
export class TrackRule implements RuleEvaluator {
  readonly ruleId: string;
  private readonly rule: RuleConfig;
  private readonly filters: RuleFilters;
  private readonly createCondition: () => TrackCondition;
  private readonly pairs = new Map<number, Pair>();

  constructor(rule: RuleConfig, filters: RuleFilters, createCondition: () => TrackCondition) {
    this.ruleId = rule.id;
    this.rule = rule;
    this.filters = filters;
    this.createCondition = createCondition;
  }

  evaluate({ active, ended, now }: PolicyInput): Decision[] {
    const decisions: Decision[] = [];
    const push = (decision: Decision | undefined): void => {
      if (decision) decisions.push(decision);
    };
    const armed = this.filters.isArmed(now);
    for (const track of active) {
      if (!this.filters.selects(track) || track.misses > 0) continue;
      push(this.judge(this.pairFor(track.id), track, now, armed));
    }
    for (const track of ended) {
      const pair = this.pairs.get(track.id);
      if (!pair) continue;
      this.pairs.delete(track.id);
      const values = { lastSeen: track.lastSeen, misses: track.misses };
      push(pair.lifecycle.end(now, 'track_lost', values, pair.lastHeld?.event ?? {}));
    }
    return decisions;
  }

  close(now: number): Decision[] {
    const decisions: Decision[] = [];
    for (const pair of this.pairs.values()) {
      const decision = pair.lifecycle.end(now, 'policy_replaced', {}, pair.lastHeld?.event ?? {});
      if (decision) decisions.push(decision);
    }
    this.pairs.clear();
    return decisions;
  }

  private judge(pair: Pair, track: Track, now: number, armed: boolean): Decision | undefined {
    const { lifecycle } = pair;
    const result = pair.condition.observe(track, now);
    const verdict = this.filters.judge(track, now);
    const values: DecisionValues = result.kind === 'quiet' ? verdict.values : { ...verdict.values, ...result.values };
    if (result.kind === 'holds') pair.lastHeld = result;
    const lastEvent: EventFacts = pair.lastHeld?.event ?? {};

    if (!lifecycle.open) {
      if (!armed) return lifecycle.suppress('schedule_inactive', { ...values, ...this.filters.scheduleValues(now) });
      if (result.kind === 'quiet') return undefined;
      if (verdict.blocked) return lifecycle.suppress(verdict.blocked, values);
      if (result.kind === 'fails') return lifecycle.suppress(result.reason, values);
      return lifecycle.start(now, values, result.event, result.key);
    }
    // An open event ends only when the object leaves, is masked, or the rule is disarmed: a score
    // dip or a box that shrinks for a frame is noise on the same object.
    if (!armed) return lifecycle.end(now, 'schedule_inactive', { ...values, ...this.filters.scheduleValues(now) }, lastEvent);
    if (verdict.blocked === 'privacy_mask') return lifecycle.end(now, 'privacy_mask', values, lastEvent);
    if (result.kind === 'fails') {
      return result.endReason ? lifecycle.end(now, result.endReason, values, result.event ?? lastEvent, result.reason) : undefined;
    }
    // A change that arrived inside the update interval goes out on a later frame.
    const held = pair.lastHeld;
    return held ? lifecycle.update(now, held.updateReason, values, held.event, held.key) : undefined;
  }

  private pairFor(trackId: number): Pair {
    let pair = this.pairs.get(trackId);
    if (!pair) {
      pair = {
        condition: this.createCondition(),
        lifecycle: new EventLifecycle({
          ruleId: this.rule.id,
          trackId,
          updateIntervalMs: this.rule.updateIntervalSeconds * 1000,
          cooldownMs: this.rule.cooldownSeconds * 1000,
        }),
        lastHeld: undefined,
      };
      this.pairs.set(trackId, pair);
    }
    return pair;
  }
}
