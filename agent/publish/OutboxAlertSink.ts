import type { Alert } from '../../pipelines/alerts.js';
import { PublishError, toError } from '../../pipelines/errors.js';
import type { AlertSink } from '../../pipelines/stages.js';
import type { Clock } from '../clock.js';
import { alertRecord } from './alertMessage.js';
import type { Outbox, OutboxDrop } from './Outbox.js';

export interface OutboxAlertSinkDeps {
  readonly outbox: Pick<Outbox, 'add'>;
  /** told about every stored alert (and what the outbox dropped to make room), so it can send it */
  readonly stored: (drops: readonly OutboxDrop[]) => void;
  readonly prefix: string;
  readonly siteId: string;
  readonly clock: Clock;
}

/**
 * The pipeline's alert sink: publish() resolves once the alert is in the outbox (on disk when the
 * outbox works), never waiting for the broker, so frame handling is not slowed by it. Delivery,
 * PUBACK and frame_to_alert_seconds belong to OutboxDelivery.
 */
export class OutboxAlertSink implements AlertSink {
  private readonly deps: OutboxAlertSinkDeps;
  private closed = false;

  constructor(deps: OutboxAlertSinkDeps) {
    this.deps = deps;
  }

  /** Stores synchronously, so alerts enter the outbox in the order they were emitted (their seq order). */
  publish(alert: Alert): Promise<void> {
    try {
      if (this.closed) throw new PublishError('sink_closed', `alert ${alert.id} not stored: the alert sink is shut down`);
      const record = alertRecord(alert, this.deps, this.deps.clock.now());
      const drops = this.deps.outbox.add([record]);
      this.deps.stored(drops);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }

  /** The outbox belongs to the delivery side; this only refuses later alerts. Idempotent. */
  async shutdown(): Promise<void> {
    this.closed = true;
  }
}
