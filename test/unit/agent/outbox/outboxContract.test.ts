import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../../../../agent/outbox/MemoryOutbox.js';
import type { Outbox, OutboxDrop, OutboxRecord } from '../../../../agent/outbox/Outbox.js';
import { MEMORY_PATH, SqliteOutbox } from '../../../../agent/outbox/SqliteOutbox.js';

/**
 * Both outboxes against one reference model, under random sequences of operations: same records
 * handed out, same drops with the same reasons, same sizes. The SQLite one runs in memory, and
 * on a file with its flush deferred (the file-specific behaviour is in SqliteOutbox.test.ts).
 */

const scratch = mkdtempSync(join(tmpdir(), 'c5-outbox-contract-'));
let files = 0;

type Op =
  { kind: 'add'; payloads: string[] } | { kind: 'remove'; picks: number[] } | { kind: 'expire'; age: number } | { kind: 'after'; pick: number; limit: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), payloads: fc.array(fc.string({ maxLength: 40, unit: 'binary' }), { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('remove' as const), picks: fc.array(fc.nat(20), { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('expire' as const), age: fc.nat(30) }),
  fc.record({ kind: fc.constant('after' as const), pick: fc.nat(20), limit: fc.integer({ min: 1, max: 8 }) }),
);

/** What the outboxes must do, written as plainly as possible. */
class ModelOutbox {
  records: OutboxRecord[] = [];
  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}
  private bytes(): number {
    return this.records.reduce((sum, record) => sum + Buffer.byteLength(record.payload), 0);
  }
  add(records: OutboxRecord[]): OutboxDrop[] {
    this.records.push(...records);
    const drops: OutboxDrop[] = [];
    for (;;) {
      const reason = this.records.length > this.maxMessages ? 'max_messages' : this.bytes() > this.maxBytes ? 'max_bytes' : null;
      if (!reason) return drops;
      const oldest = this.records.shift()!;
      drops.push({ seq: oldest.seq, id: oldest.id, cameraId: oldest.cameraId, createdAt: oldest.createdAt, reason });
    }
  }
}

function run(outbox: Outbox, ops: readonly Op[], limits: { maxMessages: number; maxBytes: number }): void {
  const model = new ModelOutbox(limits.maxMessages, limits.maxBytes);
  let seq = 0;
  let now = 1_000;
  for (const op of ops) {
    now += 1;
    if (op.kind === 'add') {
      const records = op.payloads.map((payload) => {
        seq += 1;
        return { seq, id: `id-${seq}`, cameraId: `cam-${seq % 3}`, topic: `c5/s/cam-${seq % 3}/alerts`, payload, createdAt: now, frameTime: now - 5 };
      });
      expect(outbox.add(records)).toEqual(model.add(records));
    } else if (op.kind === 'remove') {
      const seqs = op.picks.map((pick) => model.records[pick]?.seq ?? 10_000 + pick);
      outbox.remove(seqs);
      model.records = model.records.filter((record) => !seqs.includes(record.seq));
    } else if (op.kind === 'expire') {
      const cutoff = now - op.age;
      const expected = model.records
        .filter((record) => record.createdAt < cutoff)
        .map((r) => ({ seq: r.seq, id: r.id, cameraId: r.cameraId, createdAt: r.createdAt, reason: 'max_age' }));
      model.records = model.records.filter((record) => record.createdAt >= cutoff);
      expect([...outbox.expire(cutoff)].sort((a, b) => a.seq - b.seq)).toEqual(expected);
    } else {
      const after = model.records[op.pick]?.seq ?? 0;
      expect(outbox.after(after, op.limit)).toEqual(model.records.filter((record) => record.seq > after).slice(0, op.limit));
    }
    expect(outbox.stats()).toEqual({
      messages: model.records.length,
      bytes: model.records.reduce((sum, record) => sum + Buffer.byteLength(record.payload), 0),
      oldestCreatedAt: model.records[0]?.createdAt ?? null,
    });
    expect(outbox.lastSeq).toBe(seq);
  }
}

const implementations: [string, (limits: { maxMessages: number; maxBytes: number }) => Outbox][] = [
  ['MemoryOutbox', (limits) => new MemoryOutbox(limits)],
  ['SqliteOutbox', (limits) => SqliteOutbox.open(MEMORY_PATH, limits)],
  ['SqliteOutbox (file, deferred flush)', (limits) => SqliteOutbox.open(join(scratch, `contract-${++files}.sqlite`), limits, { durability: 'deferred' })],
];

describe.each(implementations)('%s (Outbox contract)', (_name, create) => {
  it('stores in seq order, hands out oldest first, drops the oldest past a bound with its reason, and forgets on remove', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 120 }), (ops, maxMessages, maxBytes) => {
        const outbox = create({ maxMessages, maxBytes });
        try {
          run(outbox, ops, { maxMessages, maxBytes });
        } finally {
          outbox.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('refuses a seq that is not above the last one stored', () => {
    const outbox = create({ maxMessages: 10, maxBytes: 1000 });
    const record = { seq: 5, id: 'a', cameraId: 'c', topic: 't', payload: '{}', createdAt: 1, frameTime: 1 };
    outbox.add([record]);
    expect(() => outbox.add([{ ...record, id: 'b' }])).toThrow(expect.objectContaining({ code: 'outbox_seq' }));
    expect(outbox.after(0, 10).map((r) => r.id)).toEqual(['a']);
    outbox.close();
  });
});
