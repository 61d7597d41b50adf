import { PublishError, toError } from '../../pipelines/errors.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../observe/logger.js';
import { MemoryOutbox } from './MemoryOutbox.js';
import type { Outbox, OutboxDrop, OutboxLimits, OutboxRecord, OutboxStats } from './Outbox.js';

export interface FallbackOutboxDeps {
  /** opens the durable outbox; throws a PublishError (`outbox_*` code) when it cannot */
  readonly open: () => Outbox;
  /** bounds of the in-memory queue that holds alerts while the durable outbox cannot be written */
  readonly memory: OutboxLimits;
  /** how long after a failure the durable outbox is tried again */
  readonly retryMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** called with the failure when the durable outbox stops working, and with null when it works again */
  readonly onHealthChange?: (failure: PublishError | null) => void;
}

/**
 * The durable outbox, and what keeps the agent going when its file fails. A full disk, a
 * read-only volume or a corrupt file makes it degraded: new alerts wait in a bounded queue in
 * memory (overflow counted as `memory_full`), alerts already in the file are still delivered
 * where it can be read, and recover() tries the file again; once it can be written, the alerts
 * waiting in memory move into it. Nothing here throws for I/O.
 */
export class FallbackOutbox implements Outbox {
  private readonly deps: FallbackOutboxDeps;
  private readonly log: Logger;
  private readonly memory: MemoryOutbox;
  private durable: Outbox | null = null;
  private failure: PublishError | null = null;
  /** delivered, but the file could not be told: never handed out again, deleted on recovery */
  private readonly undeleted = new Set<number>();
  private allocated = 0;
  private nextRetryAt = 0;
  private closed = false;

  constructor(deps: FallbackOutboxDeps) {
    this.deps = deps;
    this.log = deps.logger.child({ component: 'outbox' });
    this.memory = new MemoryOutbox({ ...deps.memory, overflowReason: 'memory_full' });
    try {
      this.durable = deps.open();
      const stats = this.durable.stats();
      this.log.info({ messages: stats.messages, lastSeq: this.durable.lastSeq }, 'outbox open');
    } catch (error) {
      this.fail(error);
    }
    this.allocated = this.lastSeq;
  }

  /** null while the durable outbox works */
  get health(): PublishError | null {
    return this.failure;
  }

  get writable(): boolean {
    return this.failure === null;
  }

  /** the highest seq stored, in the file or in memory */
  get lastSeq(): number {
    return Math.max(this.durable?.lastSeq ?? 0, this.memory.lastSeq);
  }

  /**
   * The seq for the next alert: above everything stored. It is persisted with the alert, so after
   * a restart numbering continues where the file ends. (If the file cannot be opened at start,
   * numbering starts again from what memory knows: 1.)
   */
  nextSeq(): number {
    this.allocated = Math.max(this.allocated, this.lastSeq) + 1;
    return this.allocated;
  }

  add(records: readonly OutboxRecord[]): OutboxDrop[] {
    if (this.closed) throw new PublishError('outbox_closed', 'the outbox is closed');
    let floor = this.lastSeq;
    for (const record of records) {
      if (record.seq <= floor)
        throw new PublishError('outbox_seq', `alert ${record.id}: seq ${record.seq} is not above the last stored seq ${floor}; take seqs from nextSeq()`);
      floor = record.seq;
    }
    if (this.durable && !this.failure) {
      try {
        return this.durable.add(records);
      } catch (error) {
        this.fail(error);
      }
    }
    return this.memory.add(records);
  }

  /**
   * Resolves once what the file took is on disk. Alerts held in memory while the file fails are
   * not durable whatever happens, and the degraded status already says so: nothing to wait for.
   * A failed flush degrades the outbox like any other write failure.
   */
  sync(): Promise<void> {
    const durable = this.durable;
    if (!durable?.sync || this.failure) return Promise.resolve();
    return durable.sync().catch((error: unknown) => {
      this.fail(error);
      throw toError(error);
    });
  }

  after(afterSeq: number, limit: number): OutboxRecord[] {
    const fromMemory = this.memory.after(afterSeq, limit);
    let fromFile: OutboxRecord[] = [];
    if (this.durable) {
      try {
        fromFile = this.durable.after(afterSeq, limit + this.undeleted.size).filter((record) => !this.undeleted.has(record.seq));
      } catch (error) {
        this.fail(error);
      }
    }
    return mergeBySeq(fromFile, fromMemory).slice(0, limit);
  }

  remove(seqs: readonly number[]): void {
    this.memory.remove(seqs);
    if (!this.durable || seqs.length === 0) return;
    try {
      this.durable.remove(seqs);
    } catch (error) {
      this.fail(error);
      for (const seq of seqs) this.undeleted.add(seq);
    }
  }

  expire(cutoff: number): OutboxDrop[] {
    const drops = this.memory.expire(cutoff);
    if (this.durable) {
      try {
        for (const drop of this.durable.expire(cutoff)) {
          // Delivered already: expiring it from the file loses nothing.
          if (!this.undeleted.delete(drop.seq)) drops.push(drop);
        }
      } catch (error) {
        this.fail(error);
      }
    }
    return drops;
  }

  stats(): OutboxStats {
    const memory = this.memory.stats();
    let file: OutboxStats = { messages: 0, bytes: 0, oldestCreatedAt: null };
    if (this.durable) {
      try {
        file = this.durable.stats();
      } catch (error) {
        this.fail(error);
      }
    }
    const oldest = [memory.oldestCreatedAt, file.oldestCreatedAt].filter((at): at is number => at !== null);
    return {
      messages: Math.max(0, memory.messages + file.messages - this.undeleted.size),
      bytes: memory.bytes + file.bytes,
      oldestCreatedAt: oldest.length > 0 ? Math.min(...oldest) : null,
    };
  }

  /**
   * While degraded, at most once per retry period: (re)opens the file, deletes what was
   * delivered meanwhile, and moves the alerts waiting in memory into it. Returns the alerts the
   * file's bounds dropped on the way.
   */
  recover(): OutboxDrop[] {
    const now = this.deps.clock.now();
    if (!this.failure || this.closed || now < this.nextRetryAt) return [];
    try {
      this.durable ??= this.deps.open();
      this.durable.remove([...this.undeleted]);
      this.undeleted.clear();
      const floor = this.durable.lastSeq;
      // Records numbered below the file's end (it came back with a higher seq than this process
      // knew) stay in memory and are delivered from there.
      const moving = this.memory.after(floor, Number.MAX_SAFE_INTEGER);
      const drops = this.durable.add(moving);
      this.memory.remove(moving.map((record) => record.seq));
      this.log.info({ moved: moving.length, was: this.failure.code }, 'outbox writable again; alerts held in memory moved into it');
      this.failure = null;
      this.deps.onHealthChange?.(null);
      this.sync().catch((error: unknown) => this.log.debug({ err: toError(error) }, 'alerts moved from memory not yet flushed to disk'));
      return drops;
    } catch (error) {
      this.fail(error);
      return [];
    }
  }

  /** Idempotent. Alerts still only in memory are lost with the process, and said so. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const held = this.memory.stats().messages;
    if (held > 0) this.log.error({ lost: held, failure: this.failure?.code }, 'shutting down with alerts only in memory: the outbox file could not take them');
    this.memory.close();
    try {
      this.durable?.close();
    } catch (error) {
      this.log.warn({ err: toError(error) }, 'outbox did not close cleanly');
    }
    this.durable = null;
  }

  private fail(error: unknown): void {
    const failure = error instanceof PublishError ? error : new PublishError('outbox_io', toError(error).message, { cause: error });
    this.nextRetryAt = this.deps.clock.now() + this.deps.retryMs;
    // A corrupt file cannot even be read: drop the handle, recover() opens it afresh.
    if (failure.code === 'outbox_corrupt' && this.durable) {
      try {
        this.durable.close();
      } catch (closeError) {
        this.log.debug({ err: toError(closeError) }, 'closing the corrupt outbox failed');
      }
      this.durable = null;
    }
    const changed = this.failure?.code !== failure.code;
    this.failure = failure;
    if (changed) {
      this.log.error(
        { code: failure.code, err: failure, memoryMaxMessages: this.deps.memory.maxMessages, retryMs: this.deps.retryMs },
        'outbox cannot be written; new alerts wait in memory (bounded) until it can',
      );
    }
    if (changed) this.deps.onHealthChange?.(failure);
  }
}

function mergeBySeq(a: readonly OutboxRecord[], b: readonly OutboxRecord[]): OutboxRecord[] {
  if (a.length === 0) return [...b];
  if (b.length === 0) return [...a];
  return [...a, ...b].sort((x, y) => x.seq - y.seq);
}
