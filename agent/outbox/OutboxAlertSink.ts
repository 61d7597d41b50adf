import type { Alert } from '../../pipelines/alerts.js';
import { PublishError, toError } from '../../pipelines/errors.js';
import type { AlertSink } from '../../pipelines/stages.js';
import type { Clock } from '../clock.js';
import { alertRecord } from './alertMessage.js';
import type { Outbox, OutboxDrop, OutboxRecord } from './Outbox.js';

export interface OutboxAlertSinkDeps {
  readonly outbox: Pick<Outbox, 'add' | 'sync'>;
  /** told about every stored group of alerts (and what the outbox dropped to make room), so it can send them */
  readonly stored: (drops: readonly OutboxDrop[]) => void;
  readonly prefix: string;
  readonly siteId: string;
  readonly clock: Clock;
}

interface Pending {
  readonly record: OutboxRecord;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * The pipeline's alert sink: publish() resolves once the alert is in the outbox (on disk when the
 * outbox works), never waiting for the broker, so frame handling is not slowed by it. Delivery,
 * PUBACK and frame_to_alert_seconds belong to OutboxDelivery.
 *
 * Group commit: the alerts published in one synchronous run (a frame's decisions are emitted in
 * one loop) are stored together in one outbox transaction at the end of that run, so a frame
 * costs one disk flush however many events it opens or closes. With an outbox that defers its
 * flush (sync()), delivery may send them as soon as they are committed, while the disk works on
 * another thread; publish() still resolves only once they are on disk. Sending before the flush
 * ends loses nothing: a power cut then can only lose an alert the broker already has, or one
 * whose publish() had not resolved, exactly as with a flush inside the commit.
 */
export class OutboxAlertSink implements AlertSink {
  private readonly deps: OutboxAlertSinkDeps;
  private pending: Pending[] = [];
  private commitQueued = false;
  private closed = false;

  constructor(deps: OutboxAlertSinkDeps) {
    this.deps = deps;
  }

  /**
   * Checks the alert at once (a malformed one is refused alone, before anything is stored) and
   * queues it for the group commit; alerts enter the outbox in the order they were published.
   */
  publish(alert: Alert): Promise<void> {
    try {
      if (this.closed) throw new PublishError('sink_closed', `alert ${alert.id} not stored: the alert sink is shut down`);
      const record = alertRecord(alert, this.deps, this.deps.clock.now());
      return new Promise<void>((resolve, reject) => {
        this.pending.push({ record, resolve, reject });
        if (this.commitQueued) return;
        this.commitQueued = true;
        queueMicrotask(() => this.commit());
      });
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }

  /** Stores what is queued now, in one transaction. */
  forceFlush(): void {
    this.commit();
  }

  /** Stores what was already published, then refuses later alerts. The outbox belongs to the delivery side. Idempotent. */
  async stop(): Promise<void> {
    this.commit();
    this.closed = true;
  }

  private commit(): void {
    this.commitQueued = false;
    const group = this.pending;
    if (group.length === 0) return;
    this.pending = [];
    let drops: OutboxDrop[];
    try {
      drops = this.deps.outbox.add(group.map((entry) => entry.record));
    } catch (error) {
      // The transaction stored none of them; each caller hears why (and counts its alert as failed).
      const cause = toError(error);
      for (const entry of group) entry.reject(cause);
      return;
    }
    // Delivery may send them now; the callers hear once they are on disk.
    this.deps.stored(drops);
    const synced = this.deps.outbox.sync?.() ?? Promise.resolve();
    synced.then(
      () => group.forEach((entry) => entry.resolve()),
      (error: unknown) => {
        const cause = toError(error);
        group.forEach((entry) => entry.reject(cause));
      },
    );
  }
}
