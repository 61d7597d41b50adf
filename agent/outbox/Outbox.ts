/**
 * Where alerts wait for the broker's PUBACK. The SQLite outbox keeps them across power cuts; the
 * memory outbox holds them while the file cannot be written. Both keep records in `seq` order,
 * which is the order they are delivered in.
 */

export interface OutboxRecord {
  /** per-agent, monotonic: the order of delivery */
  readonly seq: number;
  /** the alert id receivers de-duplicate on */
  readonly id: string;
  readonly cameraId: string;
  readonly topic: string;
  /** the alert JSON, exactly as it goes on the wire */
  readonly payload: string;
  /** epoch ms when the alert was stored */
  readonly createdAt: number;
  /** epoch ms of the frame behind the alert: frame_to_alert_seconds is measured from it at PUBACK */
  readonly frameTime: number;
}

/** `memory_full`: the bounded in-memory queue used while the outbox file cannot be written overflowed. */
export const OUTBOX_DROP_REASONS = ['max_messages', 'max_bytes', 'max_age', 'memory_full'] as const;
export type OutboxDropReason = (typeof OUTBOX_DROP_REASONS)[number];

export interface OutboxDrop {
  readonly seq: number;
  readonly id: string;
  readonly cameraId: string;
  readonly createdAt: number;
  readonly reason: OutboxDropReason;
}

export interface OutboxLimits {
  readonly maxMessages: number;
  /** payload bytes */
  readonly maxBytes: number;
}

export interface OutboxStats {
  readonly messages: number;
  readonly bytes: number;
  /** createdAt of the oldest record; null when empty */
  readonly oldestCreatedAt: number | null;
}

export interface Outbox {
  /** the highest seq ever stored (0 for a new outbox); survives restarts where the outbox does */
  readonly lastSeq: number;
  /**
   * Stores records (seq above lastSeq, ascending), then drops the oldest while a bound is
   * exceeded; returns what it dropped. Durable once it returns, or, for an outbox with `sync`,
   * once the next sync() resolves. An empty list still writes, so it doubles as a check that the
   * store can be written.
   */
  add(records: readonly OutboxRecord[]): OutboxDrop[];
  /**
   * For an outbox that defers its disk flush: resolves once everything added before the call is
   * on disk, without blocking this thread while the disk works. Rejects (PublishError) when the
   * flush failed.
   */
  sync?(): Promise<void>;
  /** up to `limit` records with seq above `afterSeq`, oldest first */
  after(afterSeq: number, limit: number): OutboxRecord[];
  /** forgets delivered records; unknown seqs are ignored */
  remove(seqs: readonly number[]): void;
  /** drops the records created before `cutoff` (epoch ms), reason `max_age` */
  expire(cutoff: number): OutboxDrop[];
  stats(): OutboxStats;
  /** idempotent */
  close(): void;
}

export function payloadBytes(record: Pick<OutboxRecord, 'payload'>): number {
  return Buffer.byteLength(record.payload, 'utf8');
}

/** The bound `messages`/`bytes` break, checked in the order the config lists them; null within bounds. */
export function exceededBound(messages: number, bytes: number, limits: OutboxLimits): 'max_messages' | 'max_bytes' | null {
  if (messages > limits.maxMessages) return 'max_messages';
  if (bytes > limits.maxBytes) return 'max_bytes';
  return null;
}

export function dropOf(record: Pick<OutboxRecord, 'seq' | 'id' | 'cameraId' | 'createdAt'>, reason: OutboxDropReason): OutboxDrop {
  return { seq: record.seq, id: record.id, cameraId: record.cameraId, createdAt: record.createdAt, reason };
}
