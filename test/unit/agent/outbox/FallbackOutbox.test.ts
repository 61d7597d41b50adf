import { describe, expect, it } from 'vitest';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { FallbackOutbox } from '../../../../agent/outbox/FallbackOutbox.js';
import { MemoryOutbox } from '../../../../agent/outbox/MemoryOutbox.js';
import type { Outbox, OutboxRecord } from '../../../../agent/outbox/Outbox.js';
import { PublishError } from '../../../../pipelines/errors.js';
import { ManualClock } from '../../../helpers/manualClock.js';

/**
 * The durable side is a MemoryOutbox that fails on demand, as SqliteOutbox does on a full disk or
 * a corrupt file (those run for real in test/integration/outbox/outboxStorage.test.ts).
 */
class BreakableOutbox extends MemoryOutbox implements Outbox {
  failure: PublishError | null = null;
  readsFail = false;
  addCalls = 0;
  private check(read = false): void {
    if (this.failure && (!read || this.readsFail)) throw this.failure;
  }
  override add(records: readonly OutboxRecord[]) {
    this.addCalls += 1;
    this.check();
    return super.add(records);
  }
  override remove(seqs: readonly number[]): void {
    this.check();
    super.remove(seqs);
  }
  override after(afterSeq: number, limit: number) {
    this.check(true);
    return super.after(afterSeq, limit);
  }
  syncFailure: PublishError | null = null;
  syncCalls = 0;
  sync(): Promise<void> {
    this.syncCalls += 1;
    return this.syncFailure ? Promise.reject(this.syncFailure) : Promise.resolve();
  }
}

const full = new PublishError('outbox_full', 'outbox /x: cannot store alerts: the disk is full (SQLITE_FULL)');
const record = (seq: number): OutboxRecord => ({
  seq,
  id: `id-${seq}`,
  cameraId: 'cam',
  topic: 't',
  payload: `{"seq":${seq}}`,
  createdAt: 1_000 + seq,
  frameTime: 1_000,
});

function setup(options: { file?: BreakableOutbox; openFails?: PublishError } = {}) {
  const clock = new ManualClock();
  const file = options.file ?? new BreakableOutbox({ maxMessages: 100, maxBytes: 10_000 });
  let openFailure = options.openFails ?? null;
  const health: (string | null)[] = [];
  const logs: string[] = [];
  const outbox = new FallbackOutbox({
    open: () => {
      if (openFailure) throw openFailure;
      return file;
    },
    memory: { maxMessages: 3, maxBytes: 10_000 },
    retryMs: 1_000,
    clock,
    logger: createRootLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } }),
    onHealthChange: (failure) => health.push(failure?.code ?? null),
  });
  return { outbox, file, clock, health, logs, allowOpen: () => (openFailure = null) };
}

const seqs = (records: readonly OutboxRecord[]): number[] => records.map((r) => r.seq);

describe('FallbackOutbox', () => {
  it('stores in the durable outbox while it works, and continues its seq', () => {
    const file = new BreakableOutbox({ maxMessages: 100, maxBytes: 10_000 });
    file.add([record(41)]);
    const { outbox, health } = setup({ file });
    expect(outbox.nextSeq()).toBe(42);
    outbox.add([record(42)]);
    expect(seqs(file.after(0, 10))).toEqual([41, 42]);
    expect(outbox.writable).toBe(true);
    expect(health).toEqual([]);
  });

  it('passes sync() to the file; a failed flush degrades it, and alerts then held in memory have no flush to wait for', async () => {
    const { outbox, file, health } = setup();
    outbox.add([record(1)]);
    await outbox.sync();
    expect(file.syncCalls).toBe(1);
    file.syncFailure = new PublishError('outbox_io', 'outbox /x: cannot flush stored alerts to disk: an I/O error (EIO: i/o error)');
    await expect(outbox.sync()).rejects.toMatchObject({ code: 'outbox_io' });
    expect(health).toEqual(['outbox_io']);
    outbox.add([record(2)]);
    await expect(outbox.sync()).resolves.toBeUndefined();
    expect(file.syncCalls).toBe(2);
    expect(seqs(outbox.after(0, 10))).toEqual([1, 2]);
  });

  it('keeps alerts in memory (bounded, overflow counted as memory_full) when the file fails, and hands out both in seq order', () => {
    const { outbox, file, health, logs } = setup();
    outbox.add([record(1)]);
    file.failure = full;
    expect(outbox.add([record(2)])).toEqual([]);
    expect(outbox.health).toBe(full);
    expect(health).toEqual(['outbox_full']);
    expect(logs.join('')).toContain('outbox cannot be written; new alerts wait in memory');
    outbox.add([record(3)]);
    outbox.add([record(4)]);
    // The memory queue holds 3: the fourth alert in memory pushes the oldest one there out.
    expect(outbox.add([record(5)])).toEqual([{ seq: 2, id: 'id-2', cameraId: 'cam', createdAt: 1_002, reason: 'memory_full' }]);
    expect(seqs(outbox.after(0, 10))).toEqual([1, 3, 4, 5]);
    expect(seqs(outbox.after(3, 2))).toEqual([4, 5]);
    expect(outbox.stats()).toMatchObject({ messages: 4, oldestCreatedAt: 1_001 });
    // Failing again with the same cause is not news.
    outbox.add([record(6)]);
    expect(health).toEqual(['outbox_full']);
    expect(file.addCalls).toBe(2);
  });

  it('tries the file again only once per retry period, then moves what waited in memory into it', () => {
    const { outbox, file, clock, health } = setup();
    file.failure = full;
    outbox.add([record(1)]);
    outbox.add([record(2)]);
    file.failure = null;
    clock.advance(999);
    expect(outbox.recover()).toEqual([]);
    expect(outbox.writable).toBe(false);
    clock.advance(1);
    expect(outbox.recover()).toEqual([]);
    expect(outbox.writable).toBe(true);
    expect(health).toEqual(['outbox_full', null]);
    expect(seqs(file.after(0, 10))).toEqual([1, 2]);
    outbox.add([record(3)]);
    expect(seqs(file.after(0, 10))).toEqual([1, 2, 3]);
  });

  it('never hands out again what was delivered while the file could not delete it, and deletes it on recovery', () => {
    const { outbox, file, clock } = setup();
    outbox.add([record(1), record(2)]);
    file.failure = full;
    outbox.remove([1]);
    expect(seqs(outbox.after(0, 10))).toEqual([2]);
    expect(outbox.stats().messages).toBe(1);
    // Expiring a delivered alert from the file is no loss: not reported as a drop.
    expect(outbox.expire(1_002)).toEqual([]);
    file.failure = null;
    clock.advance(1_000);
    outbox.recover();
    expect(seqs(file.after(0, 10))).toEqual([2]);
  });

  it('starts without a file it cannot open, numbering from 1, and opens it later', () => {
    const corrupt = new PublishError('outbox_corrupt', 'outbox /x: cannot open: the file is not a usable SQLite database');
    const file = new BreakableOutbox({ maxMessages: 100, maxBytes: 10_000 });
    file.add([record(7)]);
    const { outbox, clock, allowOpen, health } = setup({ file, openFails: corrupt });
    expect(outbox.health).toBe(corrupt);
    expect(health).toEqual(['outbox_corrupt']);
    expect(outbox.nextSeq()).toBe(1);
    outbox.add([record(1)]);
    allowOpen();
    clock.advance(1_000);
    outbox.recover();
    expect(outbox.writable).toBe(true);
    // The file ended at 7: alert 1 stays in memory (delivered from there), numbering goes on above 7.
    expect(seqs(outbox.after(0, 10))).toEqual([1, 7]);
    expect(outbox.nextSeq()).toBe(8);
  });

  it('says so when it shuts down with alerts only in memory', () => {
    const { outbox, file, logs } = setup();
    file.failure = full;
    outbox.add([record(1)]);
    outbox.close();
    outbox.close();
    expect(logs.join('')).toMatch(/"lost":1.*shutting down with alerts only in memory/);
    expect(() => outbox.add([record(2)])).toThrow(expect.objectContaining({ code: 'outbox_closed' }));
  });
});
