import { closeSync, fdatasync, mkdirSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ObserveError, toError } from '../../pipelines/errors.js';
import type { Clock, Timer } from '../clock.js';
import { auditFileName, dayOfFile, readCheckpoint, utcDay, writeCheckpoint } from './auditFiles.js';
import { GENESIS, sealRecord, type AuditEntry, type AuditRef } from './auditRecord.js';
import type { Logger } from '../observe/logger.js';
import type { SecretScrubber } from '../observe/SecretScrubber.js';
import { scanAuditTail } from './scanAuditTail.js';

const fdatasyncAsync = promisify(fdatasync);

/** `write`: a record could not be written (it is lost, and counted); `fsync`: a batch could not be made durable; `torn_tail`: a partial line found at open. */
export const AUDIT_FAILURE_REASONS = ['write', 'fsync', 'torn_tail'] as const;
export type AuditFailureReason = (typeof AUDIT_FAILURE_REASONS)[number];

export interface AuditMetrics {
  readonly auditWriteFailuresTotal: { inc(labels: { reason: AuditFailureReason }): void };
}

export interface AuditHealth {
  readonly state: 'ok' | 'degraded' | 'closed';
  readonly since: number;
  /** errno code of the failure, e.g. `ENOSPC`, `EROFS` */
  readonly reason?: string;
  readonly detail?: string;
  /** records that could not be written since the log last worked */
  readonly lost: number;
}

export interface AuditLogDeps {
  readonly dir: string;
  readonly fsyncIntervalMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: AuditMetrics;
  /** removes every resolved secret from a record before it is sealed (scrubbing after would break its hash) */
  readonly scrubber?: SecretScrubber;
}

/**
 * The append-only, hash-chained audit log (README, "Audit log"). append() writes the record's
 * line at once (the page cache survives a crash of this process) and returns its place in the
 * chain; fsync runs in batches on libuv's thread pool, so no frame waits for the disk. A disk
 * that fails makes the log degraded, never the agent: lost records are counted, and when the
 * disk comes back the next record says how many were lost.
 */
export class AuditLog {
  private readonly deps: AuditLogDeps;
  private fd: number | undefined;
  private day: string | undefined;
  private file: string | undefined;
  private head: AuditRef = GENESIS;
  private checkpointed: AuditRef = GENESIS;
  private unsynced = false;
  private dirUnsynced = false;
  /** files no longer written to, closed by the next batch once synced (only a batch closes fds) */
  private retiring: number[] = [];
  private lost = 0;
  private state: AuditHealth;
  private nextRecoveryAt = 0;
  private flushChain: Promise<void> = Promise.resolve();
  private timer: Timer | undefined;
  private closing: Promise<void> | undefined;

  private constructor(deps: AuditLogDeps) {
    this.deps = deps;
    this.state = { state: 'ok', since: deps.clock.now(), lost: 0 };
  }

  /** Picks up where the log on disk ends; never throws for I/O (it reports degraded instead). */
  static open(deps: AuditLogDeps): AuditLog {
    const log = new AuditLog(deps);
    if (log.recover()) deps.logger.info({ dir: deps.dir, file: log.file, seq: log.head.seq }, 'audit log open');
    log.timer = deps.clock.setInterval(() => {
      log.flush().catch((error: unknown) => deps.logger.error({ err: toError(error) }, 'audit flush failed'));
    }, deps.fsyncIntervalMs);
    return log;
  }

  get health(): AuditHealth {
    return { ...this.state, lost: this.lost };
  }

  /** The newest record written (seq 0 before the first). */
  get last(): AuditRef {
    return this.head;
  }

  /** Appends one record; its seq and hash, or undefined when the log cannot write (counted as lost). */
  append(entry: AuditEntry): AuditRef | undefined {
    if (this.closing) throw new ObserveError('audit_closed', `audit log ${this.deps.dir} is shut down; "${entry.type}" not recorded`);
    if (this.fd === undefined && (this.deps.clock.now() < this.nextRecoveryAt || !this.recover())) {
      this.loseRecord();
      return undefined;
    }
    try {
      return this.write(entry);
    } catch (error) {
      if (error instanceof TypeError || (error instanceof ObserveError && error.code === 'audit_reserved_field')) throw error;
      this.failed('write', error);
      this.loseRecord();
      return undefined;
    }
  }

  /** Makes every record appended so far durable, then moves the checkpoint to the newest one. */
  flush(): Promise<void> {
    const run = this.flushChain.then(() => this.syncBatch());
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  /** Idempotent: stops the timer, syncs, closes. Appending afterwards is a bug and throws. */
  stop(): Promise<void> {
    this.closing ??= (async () => {
      this.timer?.cancel();
      if (this.fd !== undefined) this.retiring.push(this.fd);
      this.fd = undefined;
      await this.flush();
      this.state = { state: 'closed', since: this.deps.clock.now(), lost: 0 };
    })();
    return this.closing;
  }

  /** Seals the record after the chain's head and writes its line to today's file. */
  private write(entry: AuditEntry): AuditRef {
    const now = this.deps.clock.now();
    const { record, line } = sealRecord(this.deps.scrubber ? this.deps.scrubber.scrubValue(entry) : entry, this.head, now);
    const day = utcDay(now);
    // A clock stepped back past midnight keeps writing today's file: files stay in chain order.
    if (this.day === undefined || day > this.day) this.openDay(day);
    const bytes = Buffer.from(line);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.fd!, bytes, offset);
    this.head = { seq: record.seq, hash: record.hash };
    this.unsynced = true;
    return this.head;
  }

  private openDay(day: string): void {
    if (this.fd !== undefined) this.retiring.push(this.fd);
    this.fd = undefined;
    this.file = auditFileName(day);
    this.fd = openSync(join(this.deps.dir, this.file), 'a');
    this.day = day;
    this.dirUnsynced = true;
  }

  /**
   * Reads where the log ends and reopens it. A partial last line (a crash or a full disk in the
   * middle of a write) gets its newline, and the next record, `audit_recovered`, names it by
   * file, line, length and sha256, so verify can tell it from an edit. The chain continues from
   * the last whole record.
   */
  private recover(): boolean {
    const { dir, clock, logger } = this.deps;
    this.nextRecoveryAt = clock.now() + this.deps.fsyncIntervalMs;
    try {
      mkdirSync(dir, { recursive: true });
      const tail = scanAuditTail(dir);
      if (tail.unterminated) appendNewline(join(dir, tail.unterminated));
      this.head = tail.last ? { seq: tail.last.record.seq, hash: tail.last.record.hash } : GENESIS;
      this.checkpointed = this.head;
      const newestDay = tail.newestFile === undefined ? undefined : dayOfFile(tail.newestFile);
      const today = utcDay(clock.now());
      this.openDay(newestDay !== undefined && newestDay > today ? newestDay : today);

      const read = readCheckpoint(dir);
      const ahead = read.found && 'checkpoint' in read && read.checkpoint.seq > this.head.seq ? read.checkpoint : undefined;
      if (tail.torn.length > 0 || this.lost > 0 || ahead) {
        for (const _torn of tail.torn) this.deps.metrics?.auditWriteFailuresTotal.inc({ reason: 'torn_tail' });
        const level = ahead ? 'error' : 'warn';
        logger[level](
          { dir, torn: tail.torn, lost: this.lost, checkpoint: ahead, resumedFrom: this.head },
          ahead ? 'audit log ends before its checkpoint: records are missing' : 'audit log recovered after an interrupted write',
        );
        this.write({
          type: 'audit_recovered',
          resumedFrom: this.head,
          torn: tail.torn,
          lost: this.lost,
          ...(ahead ? { missingUpTo: { seq: ahead.seq, hash: ahead.hash, file: ahead.file } } : {}),
        });
        // The checkpoint must not keep claiming records the log no longer has.
        if (ahead) this.checkpointed = GENESIS;
      }
      if (this.state.state === 'degraded') logger.info({ dir, lost: this.lost, seq: this.head.seq }, 'audit log writable again');
      this.lost = 0;
      this.state = { state: 'ok', since: clock.now(), lost: 0 };
      return true;
    } catch (error) {
      this.failed('write', error);
      return false;
    }
  }

  private async syncBatch(): Promise<void> {
    if (this.fd === undefined && !this.closing && this.state.state === 'degraded' && this.deps.clock.now() >= this.nextRecoveryAt) {
      this.recover();
    }
    const retiring = this.retiring.splice(0);
    const current = this.unsynced ? this.fd : undefined;
    const head = this.head;
    const file = this.file;
    const syncDir = this.dirUnsynced;
    this.unsynced = false;
    this.dirUnsynced = false;
    try {
      for (const fd of retiring) await syncAndClose(fd);
      if (current !== undefined) await fdatasyncAsync(current);
      if (syncDir) await syncDirectory(this.deps.dir);
      if (head.seq > 0 && head.hash !== this.checkpointed.hash && file !== undefined) {
        await writeCheckpoint(this.deps.dir, { ...head, file });
        this.checkpointed = head;
      }
    } catch (error) {
      this.failed('fsync', error);
    }
  }

  private loseRecord(): void {
    this.lost += 1;
    this.deps.metrics?.auditWriteFailuresTotal.inc({ reason: 'write' });
  }

  /** Degraded until a later recover() succeeds; the open file is retired so that recovery rereads the disk. */
  private failed(reason: 'write' | 'fsync', error: unknown): void {
    const err = toError(error);
    const code = (err as NodeJS.ErrnoException).code ?? err.name;
    if (reason === 'fsync') this.deps.metrics?.auditWriteFailuresTotal.inc({ reason });
    if (this.fd !== undefined) this.retiring.push(this.fd);
    this.fd = undefined;
    this.day = undefined;
    if (this.state.state !== 'degraded') {
      this.deps.logger.error(
        { err, dir: this.deps.dir, file: this.file, code },
        `audit log ${reason} failed; records are counted as lost until it works again`,
      );
    }
    this.state = { state: 'degraded', since: this.deps.clock.now(), reason: code, detail: err.message, lost: this.lost };
  }
}

function appendNewline(path: string): void {
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, '\n');
  } finally {
    closeSync(fd);
  }
}

async function syncAndClose(fd: number): Promise<void> {
  try {
    await fdatasyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A new file's name is only durable once its folder is synced. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
