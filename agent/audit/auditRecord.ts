import { ObserveError } from '../../pipelines/errors.js';
import { sha256Hex } from '../sha256Hex.js';
import { canonicalJson, canonicalMembers, joinMembers } from './canonicalJson.js';

/**
 * One line of the audit log: `{seq, time, type, ...fields, prevHash, hash}`, where `hash` is
 * SHA-256 over the canonical encoding of the record without `hash`, and `prevHash` is the hash
 * of the record before it (64 zeros for the first record ever written).
 */

export const GENESIS_HASH = '0'.repeat(64);

/** What a caller appends: a `type` and any JSON fields except the four the log sets itself. */
export interface AuditEntry {
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  /** ISO 8601 UTC, when the record was appended */
  readonly time: string;
  readonly prevHash: string;
  readonly hash: string;
}

/** The position a record takes in the chain; alerts carry it as `audit`. */
export interface AuditRef {
  readonly seq: number;
  readonly hash: string;
}

/** Before the first record. */
export const GENESIS: AuditRef = { seq: 0, hash: GENESIS_HASH };

const RESERVED = ['seq', 'time', 'prevHash', 'hash'] as const;
const HEX64 = /^[0-9a-f]{64}$/;

/** Chains `entry` after `previous`: the record and its line, newline included. */
export function sealRecord(entry: AuditEntry, previous: AuditRef, time: number): { record: AuditRecord; line: string } {
  for (const key of RESERVED) {
    if (key in entry) throw new ObserveError('audit_reserved_field', `audit entry "${entry.type}" sets "${key}", which the log sets itself`);
  }
  const body = { ...entry, seq: previous.seq + 1, time: new Date(time).toISOString(), prevHash: previous.hash };
  // Encoded once: the line is the body's members with `hash` in its sorted place among them.
  const members = canonicalMembers(body);
  const hash = sha256Hex(joinMembers(members));
  const at = members.findIndex((member) => member.key > 'hash');
  members.splice(at < 0 ? members.length : at, 0, { key: 'hash', text: `"hash":"${hash}"` });
  return { record: { ...body, hash }, line: `${joinMembers(members)}\n` };
}

/** The hash a record should carry, computed from everything else in it. */
export function expectedHash(record: AuditRecord): string {
  const { hash: _ignored, ...body } = record;
  return sha256Hex(canonicalJson(body));
}

export type ParsedAuditLine = { readonly ok: true; readonly record: AuditRecord } | { readonly ok: false; readonly problem: string };

/**
 * A line (without its newline) as a record, checking shape and encoding but not the hash: a
 * line must be byte for byte the canonical encoding of what it parses to, so even an edit that
 * keeps the meaning (a space, a reordered key, `1.0` for `1`) is caught.
 */
export function parseAuditLine(bytes: Uint8Array): ParsedAuditLine {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { ok: false, problem: 'not valid JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, problem: 'not a JSON object' };
  const record = value as Record<string, unknown>;
  if (!Number.isSafeInteger(record['seq']) || (record['seq'] as number) < 1) return { ok: false, problem: 'no valid "seq"' };
  if (typeof record['time'] !== 'string' || typeof record['type'] !== 'string') return { ok: false, problem: 'no "time" or "type"' };
  if (typeof record['prevHash'] !== 'string' || !HEX64.test(record['prevHash'])) return { ok: false, problem: 'no valid "prevHash"' };
  if (typeof record['hash'] !== 'string' || !HEX64.test(record['hash'])) return { ok: false, problem: 'no valid "hash"' };
  let canonical: string;
  try {
    canonical = canonicalJson(record);
  } catch {
    return { ok: false, problem: 'holds a number JSON cannot carry' };
  }
  if (!Buffer.from(canonical).equals(Buffer.from(bytes))) {
    return { ok: false, problem: 'not in canonical form (re-encoded or edited)' };
  }
  return { ok: true, record: record as unknown as AuditRecord };
}
