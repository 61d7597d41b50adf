import { PublishError, toError } from '../../pipelines/errors.js';
import type { Clock, Timer } from '../clock.js';
import type { AuditEntry } from '../audit/auditRecord.js';
import type { Logger } from '../observe/logger.js';
import type { AgentMetrics } from '../observe/metrics.js';
import type { MqttLink, PublishProperties } from '../mqtt/MqttLink.js';
import { PublishRefusedError } from '../mqtt/mqttWire.js';
import type { Outbox, OutboxDrop, OutboxDropReason, OutboxRecord } from './Outbox.js';
import { backoffDelayMs } from '../backoff.js';

export interface OutboxDeliveryDeps {
  readonly outbox: Pick<Outbox, 'after' | 'remove' | 'expire' | 'stats'> & { recover?(): OutboxDrop[] };
  readonly link: Pick<MqttLink, 'publish' | 'connected' | 'onConnectionChange'>;
  readonly properties: PublishProperties;
  /** alerts older than this are dropped from the outbox (`max_age`) */
  readonly maxAgeMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Pick<AgentMetrics, 'frameToAlertSeconds' | 'outboxMessages' | 'outboxOldestAgeSeconds' | 'outboxDroppedTotal'>;
  /** every drop is written here too, when the agent keeps an audit log */
  readonly audit?: { append(entry: AuditEntry): unknown };
  /** true while the broker refuses alerts that are still waiting, false once none is */
  readonly onRefusedChange?: (refused: boolean) => void;
  /** pause after a refusal: from min, doubling to max, jittered */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  readonly random?: () => number;
  /** alerts handed to the link and not yet acknowledged; default 100 */
  readonly window?: number;
  /** how often ages are checked, the file retried and the gauges refreshed; default 5 s */
  readonly maintenanceIntervalMs?: number;
}

const DEFAULT_WINDOW = 100;
const DROP_LOG_INTERVAL_MS = 10_000;
const AUDIT_IDS_MAX = 1000;

/**
 * Drains the outbox into the MQTT link, oldest first (seq order, hence per-camera order), with a
 * bounded window of alerts awaiting PUBACK. An alert leaves the outbox only on its PUBACK, which
 * is also where frame_to_alert_seconds is observed. A refusal (MQTT 5 reason code) keeps the alert,
 * pauses sending with backoff, and then tries again from the oldest; it never spins.
 */
export class OutboxDelivery {
  private readonly deps: OutboxDeliveryDeps;
  private readonly log: Logger;
  private readonly window: number;
  private readonly inflight = new Set<number>();
  private readonly refused = new Set<number>();
  private acked: number[] = [];
  private settling = false;
  /** the highest seq handed to the link in this pass; 0 starts again from the oldest */
  private cursor = 0;
  private pause: Timer | null = null;
  private refusalStreak = 0;
  private maintenance: Timer | null = null;
  private unsubscribe: (() => void) | null = null;
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private lastDropLog = Number.NEGATIVE_INFINITY;
  private unloggedDrops = new Map<OutboxDropReason, number>();

  constructor(deps: OutboxDeliveryDeps) {
    this.deps = deps;
    this.log = deps.logger.child({ component: 'delivery' });
    this.window = deps.window ?? DEFAULT_WINDOW;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.unsubscribe = this.deps.link.onConnectionChange((up) => {
      if (up) this.pump();
    });
    this.maintenance = this.deps.clock.setInterval(() => this.maintain(), this.deps.maintenanceIntervalMs ?? 5_000);
    this.maintain();
  }

  /** The sink stored an alert; `drops` are what the outbox let go to stay within its bounds. */
  stored(drops: readonly OutboxDrop[]): void {
    this.reportDrops(drops);
    this.updateGauges();
    this.pump();
  }

  /** Stops sending; acknowledgements still arriving are recorded until flush(). Idempotent. */
  stop(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.unsubscribe?.();
    this.maintenance?.cancel();
    this.pause?.cancel();
    this.pause = null;
  }

  /** Deletes the alerts acknowledged so far; the caller closes the outbox after this. */
  flush(): void {
    const seqs = this.acked;
    this.acked = [];
    this.deps.outbox.remove(seqs);
    this.updateGauges();
  }

  private pump(): void {
    if (this.state !== 'running' || this.pause || !this.deps.link.connected) return;
    while (this.inflight.size < this.window) {
      const batch = this.deps.outbox.after(this.cursor, this.window - this.inflight.size);
      if (batch.length === 0) return;
      for (const record of batch) {
        this.cursor = record.seq;
        if (!this.inflight.has(record.seq)) this.dispatch(record);
      }
    }
  }

  private dispatch(record: OutboxRecord): void {
    this.inflight.add(record.seq);
    this.deps.link.publish(record.topic, record.payload, { qos: 1, retain: false, properties: this.deps.properties }).then(
      () => this.onAck(record),
      (error: unknown) => this.onFailure(record, toError(error)),
    );
  }

  private onAck(record: OutboxRecord): void {
    this.inflight.delete(record.seq);
    this.refusalStreak = 0;
    this.deps.metrics.frameToAlertSeconds.observe(Math.max(0, this.deps.clock.now() - record.frameTime) / 1000);
    this.forgetRefusal(record.seq);
    this.acked.push(record.seq);
    // PUBACKs arrive in bursts: one delete (one fsync) for all that arrived together.
    if (this.settling) return;
    this.settling = true;
    queueMicrotask(() => {
      this.settling = false;
      this.flush();
      this.pump();
    });
  }

  private onFailure(record: OutboxRecord, error: Error): void {
    this.inflight.delete(record.seq);
    // Shut down (link_closed): the alert stays in the outbox for the next start.
    if (this.state !== 'running') return;
    const first = this.pause === null;
    if (error instanceof PublishRefusedError) {
      if (this.refused.size === 0) this.deps.onRefusedChange?.(true);
      this.refused.add(record.seq);
      const fields = { seq: record.seq, alertId: record.id, camera: record.cameraId, topic: record.topic, reasonCode: error.reasonCode, reason: error.reason };
      if (first) this.log.warn(fields, 'broker refused the alert; it stays in the outbox and is retried after a pause');
      else this.log.debug(fields, 'broker refused the alert');
    } else if (first) {
      this.log.warn(
        { seq: record.seq, alertId: record.id, err: error, code: error instanceof PublishError ? error.code : undefined },
        'alert not handed to the broker; retrying after a pause',
      );
    }
    this.pauseSending();
  }

  private pauseSending(): void {
    if (this.pause) return;
    const delayMs = backoffDelayMs(this.refusalStreak, this.deps.retryMinMs, this.deps.retryMaxMs, this.deps.random);
    this.refusalStreak += 1;
    this.pause = this.deps.clock.setTimeout(() => {
      this.pause = null;
      // From the oldest again: refused alerts go first, those still in flight are skipped.
      this.cursor = 0;
      this.pump();
    }, delayMs);
  }

  private maintain(): void {
    const { outbox, clock, maxAgeMs } = this.deps;
    this.reportDrops([...(outbox.recover?.() ?? []), ...outbox.expire(clock.now() - maxAgeMs)]);
    this.logDrops(true);
    this.updateGauges();
    this.pump();
  }

  private forgetRefusal(seq: number): void {
    if (this.refused.delete(seq) && this.refused.size === 0) this.deps.onRefusedChange?.(false);
  }

  private reportDrops(drops: readonly OutboxDrop[]): void {
    if (drops.length === 0) return;
    const byReason = new Map<OutboxDropReason, OutboxDrop[]>();
    for (const drop of drops) {
      byReason.set(drop.reason, [...(byReason.get(drop.reason) ?? []), drop]);
      this.forgetRefusal(drop.seq);
    }
    for (const [reason, list] of byReason) {
      this.deps.metrics.outboxDroppedTotal.inc({ reason }, list.length);
      this.unloggedDrops.set(reason, (this.unloggedDrops.get(reason) ?? 0) + list.length);
      this.audit(reason, list);
    }
    this.logDrops(false);
  }

  /** Names every dropped alert (up to AUDIT_IDS_MAX per record; an age sweep can drop thousands at once). */
  private audit(reason: OutboxDropReason, drops: readonly OutboxDrop[]): void {
    const audit = this.deps.audit;
    if (!audit) return;
    const named = drops.slice(0, AUDIT_IDS_MAX);
    try {
      audit.append({
        type: 'outbox_dropped',
        reason,
        count: drops.length,
        alerts: named.map((drop) => ({ seq: drop.seq, id: drop.id, camera: drop.cameraId })),
        ...(drops.length > named.length ? { unnamed: drops.length - named.length } : {}),
      });
    } catch (error) {
      // The audit log closes before the delivery at shutdown; the metric and the log line still count it.
      this.log.debug({ err: toError(error), reason, count: drops.length }, 'outbox drop not written to the audit log');
    }
  }

  /**
   * One line per 10 s at most: a full outbox drops on every new alert. Not RateLimitedLog: this
   * is a summary, the drops of the whole interval counted by reason, and stop() flushes it.
   */
  private logDrops(force: boolean): void {
    if (this.unloggedDrops.size === 0) return;
    const now = this.deps.clock.now();
    if (!force && now - this.lastDropLog < DROP_LOG_INTERVAL_MS) return;
    this.lastDropLog = now;
    const dropped = Object.fromEntries(this.unloggedDrops);
    this.unloggedDrops = new Map();
    this.log.warn({ dropped }, 'outbox over its bounds: the oldest undelivered alerts were dropped');
  }

  private updateGauges(): void {
    const stats = this.deps.outbox.stats();
    this.deps.metrics.outboxMessages.set(stats.messages);
    const age = stats.oldestCreatedAt === null ? 0 : Math.max(0, this.deps.clock.now() - stats.oldestCreatedAt) / 1000;
    this.deps.metrics.outboxOldestAgeSeconds.set(age);
  }
}
