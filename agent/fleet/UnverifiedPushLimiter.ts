import type { Counter } from 'prom-client';
import type { Clock, Timer } from '../clock.js';
import type { AuditEntry } from '../audit/auditRecord.js';
import type { Logger } from '../observe/logger.js';
import { UNVERIFIED_REASONS, type UnverifiedReason, type UnverifiedRejection } from './checkPush.js';
import type { PushOrigin } from './configState.js';

/** At most one audit record and one log line per this long, however many pushes are refused. */
export const UNVERIFIED_REPORT_INTERVAL_MS = 60_000;

export interface UnverifiedPushLimiterDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** `c5_agent_config_push_unverified_total`: every refusal, one by one */
  readonly counter: Pick<Counter<'reason'>, 'inc'>;
  /** appends to the audit log (a closed log is the caller's to handle) */
  readonly record: (entry: AuditEntry) => void;
  /** default UNVERIFIED_REPORT_INTERVAL_MS */
  readonly intervalMs?: number;
}

/** The audit record summing one interval's refusals. */
export interface UnverifiedSummary extends AuditEntry {
  readonly type: 'config_push_unverified';
  readonly count: number;
  readonly byReason: Readonly<Partial<Record<UnverifiedReason, number>>>;
  /** ISO 8601 UTC of the first and the last refusal summed */
  readonly firstAt: string;
  readonly lastAt: string;
}

interface OpenInterval {
  count: number;
  readonly byReason: Partial<Record<UnverifiedReason, number>>;
  readonly firstAt: number;
  lastAt: number;
  latest: { readonly reason: UnverifiedReason; readonly message: string; readonly origin: PushOrigin };
}

/**
 * What the agent does with a push refused before its signature held. Anyone who can publish on
 * the push topic can send those, as fast as the broker lets them: each is counted in the metric,
 * and the rest is throttled so a flood cannot fill the audit log or the journal. The first refusal
 * after a quiet interval is reported at once (one audit record, one warn line); those that follow
 * within the interval are summed into one report at its end. Nothing goes to `config/state`: the
 * retained verdict there stays the last verified one. Not RateLimitedLog: the report is an audit
 * record summing the interval by reason, sent by a timer at its end, not a dropped log line.
 */
export class UnverifiedPushLimiter {
  private readonly deps: UnverifiedPushLimiterDeps;
  private readonly intervalMs: number;
  private open: OpenInterval | undefined;
  /** no report before this instant (epoch ms) */
  private quietUntil = -Infinity;
  private timer: Timer | undefined;

  constructor(deps: UnverifiedPushLimiterDeps) {
    this.deps = deps;
    this.intervalMs = deps.intervalMs ?? UNVERIFIED_REPORT_INTERVAL_MS;
    // Every reason's series exists from the start, so rate() and alert rules see a 0 first.
    for (const reason of UNVERIFIED_REASONS) deps.counter.inc({ reason }, 0);
  }

  /** Counts one refusal; reports it now or sums it into the report at the end of the interval. */
  refuse(rejection: UnverifiedRejection, origin: PushOrigin): void {
    const { reason, message } = rejection;
    this.deps.counter.inc({ reason });
    const now = this.deps.clock.now();
    const open = (this.open ??= { count: 0, byReason: {}, firstAt: now, lastAt: now, latest: { reason, message, origin } });
    open.count += 1;
    open.byReason[reason] = (open.byReason[reason] ?? 0) + 1;
    open.lastAt = now;
    open.latest = { reason, message, origin };
    if (this.timer) return;
    if (now >= this.quietUntil) {
      this.report();
      return;
    }
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.report();
    }, this.quietUntil - now);
  }

  /** Reports what is summed so far at once (on stop), so no refusal is missing from the audit log. */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.report();
  }

  private report(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    this.quietUntil = this.deps.clock.now() + this.intervalMs;
    const summary: UnverifiedSummary = {
      type: 'config_push_unverified',
      count: open.count,
      byReason: { ...open.byReason },
      firstAt: new Date(open.firstAt).toISOString(),
      lastAt: new Date(open.lastAt).toISOString(),
    };
    this.deps.record(summary);
    const { type: _type, ...fields } = summary;
    // The latest refusal's text stands for the rest: it quotes at most a short prefix of what the sender chose.
    const { latest } = open;
    this.deps.log.warn(
      { ...fields, reason: latest.reason, error: latest.message, origin: latest.origin, reportIntervalSeconds: this.intervalMs / 1000 },
      'config pushes refused before a signature held',
    );
  }
}
