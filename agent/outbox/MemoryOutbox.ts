import { PublishError } from '../../pipelines/errors.js';
import {
  dropOf,
  exceededBound,
  payloadBytes,
  type Outbox,
  type OutboxDrop,
  type OutboxDropReason,
  type OutboxLimits,
  type OutboxRecord,
  type OutboxStats,
} from './Outbox.js';

export interface MemoryOutboxOptions extends OutboxLimits {
  /** the reason drops past a bound are counted under; by default the bound's own name */
  readonly overflowReason?: OutboxDropReason;
}

/**
 * A bounded outbox in memory, lost with the process: what holds alerts while the SQLite file
 * cannot be written. Same contract as the durable one.
 */
export class MemoryOutbox implements Outbox {
  private readonly options: MemoryOutboxOptions;
  /** ascending seq */
  private records: OutboxRecord[] = [];
  private bytes = 0;
  private highestSeq = 0;

  constructor(options: MemoryOutboxOptions) {
    this.options = options;
  }

  get lastSeq(): number {
    return this.highestSeq;
  }

  add(records: readonly OutboxRecord[]): OutboxDrop[] {
    for (const record of records) {
      if (record.seq <= this.highestSeq)
        throw new PublishError('outbox_seq', `memory outbox: seq ${record.seq} is not above the last stored seq ${this.highestSeq}`);
      this.records.push(record);
      this.bytes += payloadBytes(record);
      this.highestSeq = record.seq;
    }
    const drops: OutboxDrop[] = [];
    for (
      let bound = exceededBound(this.records.length, this.bytes, this.options);
      bound;
      bound = exceededBound(this.records.length, this.bytes, this.options)
    ) {
      const oldest = this.records.shift();
      if (!oldest) break;
      this.bytes -= payloadBytes(oldest);
      drops.push(dropOf(oldest, this.options.overflowReason ?? bound));
    }
    return drops;
  }

  after(afterSeq: number, limit: number): OutboxRecord[] {
    const start = this.records.findIndex((record) => record.seq > afterSeq);
    return start < 0 ? [] : this.records.slice(start, start + limit);
  }

  remove(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    const gone = new Set(seqs);
    this.records = this.records.filter((record) => {
      if (!gone.has(record.seq)) return true;
      this.bytes -= payloadBytes(record);
      return false;
    });
  }

  expire(cutoff: number): OutboxDrop[] {
    const drops: OutboxDrop[] = [];
    this.records = this.records.filter((record) => {
      if (record.createdAt >= cutoff) return true;
      this.bytes -= payloadBytes(record);
      drops.push(dropOf(record, 'max_age'));
      return false;
    });
    return drops;
  }

  /** Empties it (its records went to the durable outbox); lastSeq stays. */
  clear(): void {
    this.records = [];
    this.bytes = 0;
  }

  stats(): OutboxStats {
    return { messages: this.records.length, bytes: this.bytes, oldestCreatedAt: this.records[0]?.createdAt ?? null };
  }

  close(): void {
    this.clear();
  }
}
