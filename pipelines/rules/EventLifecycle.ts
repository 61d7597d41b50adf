import type { AlertState, Decision, DecisionReason, EventFacts } from '../types.js';

export type DecisionValues = Record<string, number | string | boolean | null>;

export interface LifecycleOptions {
  readonly ruleId: string;
  /** null for an event about a zone (crowding) */
  readonly trackId: number | null;
  readonly updateIntervalMs: number;
  readonly cooldownMs: number;
}

/**
 * The alert lifecycle of one (rule, track) or (rule, zone) pair: `start` once, `update` when what
 * the centre cares about changed (at most every `updateIntervalMs`), `end` once. Suppressions are
 * reported only when their reason changes, so the audit log gets the first suppression of a pair
 * and every change of mind, not a record per frame.
 */
export class EventLifecycle {
  private readonly options: LifecycleOptions;
  private isOpen = false;
  private lastReason: DecisionReason | undefined;
  private lastAlertAt = 0;
  /** identifies what the last start/update reported; an update is due when it differs */
  private sentKey = '';
  private endedAt: number | undefined;

  constructor(options: LifecycleOptions) {
    this.options = options;
  }

  get open(): boolean {
    return this.isOpen;
  }

  /** Opens the event, unless the pair is cooling down after its previous event. */
  start(now: number, values: DecisionValues, event: EventFacts, key: string): Decision | undefined {
    const { cooldownMs } = this.options;
    if (this.endedAt !== undefined && now - this.endedAt < cooldownMs) {
      const remaining = (cooldownMs - (now - this.endedAt)) / 1000;
      return this.suppress('cooldown', { ...values, cooldownSeconds: cooldownMs / 1000, cooldownRemainingSeconds: remaining });
    }
    this.isOpen = true;
    this.lastReason = 'matched';
    this.lastAlertAt = now;
    this.sentKey = key;
    return this.alert('start', 'matched', values, event);
  }

  /** An update when `key` changed since the last alert and the interval has passed; else nothing (yet). */
  update(now: number, reason: DecisionReason, values: DecisionValues, event: EventFacts, key: string): Decision | undefined {
    if (!this.isOpen || key === this.sentKey || now - this.lastAlertAt < this.options.updateIntervalMs) return undefined;
    this.lastAlertAt = now;
    this.sentKey = key;
    return this.alert('update', reason, values, event);
  }

  /**
   * Closes the event. `quietReason`: the suppression the pair is in from now on, already explained
   * by this end (leaving a zone is the reason it is now outside it), so it is not reported again.
   */
  end(now: number, reason: DecisionReason, values: DecisionValues, event: EventFacts, quietReason?: DecisionReason): Decision | undefined {
    if (!this.isOpen) return undefined;
    this.isOpen = false;
    this.endedAt = now;
    this.lastReason = quietReason ?? reason;
    return this.alert('end', reason, values, event);
  }

  suppress(reason: DecisionReason, values: DecisionValues): Decision | undefined {
    if (this.isOpen || reason === this.lastReason) return undefined;
    this.lastReason = reason;
    return { ruleId: this.options.ruleId, trackId: this.options.trackId, outcome: 'suppress', reason, values };
  }

  private alert(state: AlertState, reason: DecisionReason, values: DecisionValues, event: EventFacts): Decision {
    return { ruleId: this.options.ruleId, trackId: this.options.trackId, outcome: 'alert', state, reason, values, event };
  }
}
