import type { WireChannelId } from '../../pipelines/wire/wireChannels.js';

/**
 * The centre's bookkeeping over the messages it consumed: counts by channel, alerts
 * de-duplicated by id (delivery is at least once), and the order of `seq`. Memory is bounded:
 * the newest `maxAlertIds` ids and `maxCameras` cameras are remembered, the oldest forgotten.
 *
 * `seq` rises by one per alert of an agent (across its cameras and restarts), and the agent
 * delivers in order per camera. So per camera a `seq` at or below the last one seen is out of
 * order, and per site a `seq` more than one above the highest seen leaves a gap (numbers never
 * seen: dropped from the outbox, or still to come from another camera).
 */

export interface LedgerLimits {
  readonly maxAlertIds: number;
  readonly maxCameras: number;
}

export const DEFAULT_LEDGER_LIMITS: LedgerLimits = { maxAlertIds: 100_000, maxCameras: 200_000 };

export type AlertVerdict =
  | { readonly kind: 'new' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'out_of_order'; readonly previousSeq: number }
  | { readonly kind: 'gap'; readonly missing: number; readonly after: number };

export interface LedgerSummary {
  readonly messages: number;
  readonly byChannel: Readonly<Record<WireChannelId, number>>;
  /** distinct alerts (duplicates not counted) */
  readonly alerts: number;
  readonly invalid: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  /** seq numbers skipped, summed over sites */
  readonly seqGaps: number;
}

/** Map insertion order is age: re-inserting a key makes it the newest, the first key is the oldest. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, cap: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > cap) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

export class ConsumerLedger {
  private readonly alertIds = new Map<string, true>();
  private readonly cameraSeq = new Map<string, number>();
  private readonly siteSeq = new Map<string, number>();
  private readonly byChannel: Record<WireChannelId, number> = {
    siteStatus: 0,
    cameraStatus: 0,
    alerts: 0,
    stats: 0,
    configPush: 0,
    configState: 0,
    auditCheckpoint: 0,
  };
  private messages = 0;
  private alerts = 0;
  private invalid = 0;
  private duplicates = 0;
  private outOfOrder = 0;
  private seqGaps = 0;

  constructor(private readonly limits: LedgerLimits = DEFAULT_LEDGER_LIMITS) {}

  /** A message that validated (any channel but an alert's, which goes through `alert`). */
  counted(channel: WireChannelId): void {
    this.messages += 1;
    this.byChannel[channel] += 1;
  }

  invalidMessage(): void {
    this.messages += 1;
    this.invalid += 1;
  }

  /** A valid alert: new (and in order), a duplicate by id, out of order on its camera, or leaving a gap on its site. */
  alert(alert: { readonly id: string; readonly seq: number; readonly siteId: string; readonly cameraId: string }): AlertVerdict {
    this.messages += 1;
    this.byChannel.alerts += 1;
    if (this.alertIds.has(alert.id)) {
      this.duplicates += 1;
      return { kind: 'duplicate' };
    }
    remember(this.alertIds, alert.id, true, this.limits.maxAlertIds);
    this.alerts += 1;
    // NUL cannot be in a topic level, so the key is unambiguous.
    const cameraKey = `${alert.siteId}\u0000${alert.cameraId}`;
    const previousSeq = this.cameraSeq.get(cameraKey);
    remember(this.cameraSeq, cameraKey, Math.max(previousSeq ?? 0, alert.seq), this.limits.maxCameras);
    if (previousSeq !== undefined && alert.seq <= previousSeq) {
      this.outOfOrder += 1;
      return { kind: 'out_of_order', previousSeq };
    }
    const highest = this.siteSeq.get(alert.siteId);
    remember(this.siteSeq, alert.siteId, Math.max(highest ?? 0, alert.seq), this.limits.maxCameras);
    if (highest !== undefined && alert.seq > highest + 1) {
      const missing = alert.seq - highest - 1;
      this.seqGaps += missing;
      return { kind: 'gap', missing, after: highest };
    }
    return { kind: 'new' };
  }

  get distinctAlerts(): number {
    return this.alerts;
  }

  summary(): LedgerSummary {
    return {
      messages: this.messages,
      byChannel: { ...this.byChannel },
      alerts: this.alerts,
      invalid: this.invalid,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      seqGaps: this.seqGaps,
    };
  }
}
