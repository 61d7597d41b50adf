import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectedHash, GENESIS, parseAuditLine, sealRecord } from '../../../../agent/audit/auditRecord.js';
import { canonicalJson } from '../../../../agent/audit/canonicalJson.js';

const RESERVED = new Set(['seq', 'time', 'prevHash', 'hash', 'type']);

describe('sealRecord', () => {
  it('writes the canonical encoding of the sealed record, which parses back and hashes to its own hash', () => {
    fc.assert(
      fc.property(
        // keys such as "has", "hash_", "a" and "z" land on both sides of "hash" in the sorted order
        fc.dictionary(fc.oneof(fc.constantFrom('a', 'has', 'hasi', 'hash_', 'z', 'Hash'), fc.string()), fc.jsonValue()),
        fc.integer({ min: 0, max: 1_000_000 }),
        (fields, seq) => {
          const entry = { ...Object.fromEntries(Object.entries(fields).filter(([key]) => !RESERVED.has(key))), type: 'sample' };
          const { record, line } = sealRecord(entry, { seq, hash: GENESIS.hash }, 1_764_460_000_000);
          expect(line).toBe(`${canonicalJson(record)}\n`);
          expect(expectedHash(record)).toBe(record.hash);
          expect(parseAuditLine(Buffer.from(line.slice(0, -1)))).toEqual({ ok: true, record: JSON.parse(line) });
        },
      ),
      { numRuns: 200 },
    );
  });
});
