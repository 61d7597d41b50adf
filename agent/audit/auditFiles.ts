import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '../sha256Hex.js';
import type { AuditRef } from './auditRecord.js';

/** The audit log's files on disk: one per UTC day, plus a checkpoint of the last synced record. */

const AUDIT_FILE = /^audit-(\d{4}-\d{2}-\d{2})\.jsonl$/;

/** Written after every fsync batch; lets verify notice whole records cut off the end. */
export const CHECKPOINT_FILE = 'audit.head.json';

/** `2026-11-29`, the UTC day of an epoch-ms time. */
export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

export function auditFileName(day: string): string {
  return `audit-${day}.jsonl`;
}

export function dayOfFile(name: string): string | undefined {
  return AUDIT_FILE.exec(name)?.[1];
}

/** File names, oldest first (ISO dates sort as text). */
export function listAuditFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => AUDIT_FILE.test(name))
    .sort();
}

export interface RawLine {
  /** 1-based */
  readonly line: number;
  /** without the newline */
  readonly bytes: Buffer;
  /** false for a last line that has no newline: a write cut short, or a cut file */
  readonly terminated: boolean;
}

const CHUNK_BYTES = 1 << 16;

/**
 * The file's lines as raw bytes (a torn line may end inside a UTF-8 sequence). Reads only the
 * size the file had when opened: a line being appended meanwhile is not half-read, and a
 * device posing as a file (`/dev/full`) cannot make it read forever.
 */
export function* readRawLines(path: string): Generator<RawLine> {
  const fd = openSync(path, 'r');
  try {
    let remaining = fstatSync(fd).size;
    let carry = Buffer.alloc(0);
    let line = 0;
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    while (remaining > 0) {
      const read = readSync(fd, chunk, 0, Math.min(CHUNK_BYTES, remaining), null);
      if (read === 0) break;
      remaining -= read;
      let data = Buffer.concat([carry, chunk.subarray(0, read)]);
      let newline = data.indexOf(0x0a);
      while (newline >= 0) {
        line += 1;
        yield { line, bytes: Buffer.from(data.subarray(0, newline)), terminated: true };
        data = data.subarray(newline + 1);
        newline = data.indexOf(0x0a);
      }
      carry = Buffer.from(data);
    }
    if (carry.length > 0) yield { line: line + 1, bytes: carry, terminated: false };
  } finally {
    closeSync(fd);
  }
}

/** A line that is not a record, identified so that a later record can vouch for it. */
export interface TornLine {
  readonly file: string;
  readonly line: number;
  readonly bytes: number;
  readonly sha256: string;
}

export function describeTornLine(file: string, raw: RawLine): TornLine {
  return { file, line: raw.line, bytes: raw.bytes.length, sha256: sha256Hex(raw.bytes) };
}

export interface Checkpoint extends AuditRef {
  readonly file: string;
}

export type CheckpointRead =
  { readonly found: false } | { readonly found: true; readonly checkpoint: Checkpoint } | { readonly found: true; readonly problem: string };

export function readCheckpoint(dir: string): CheckpointRead {
  let text: string;
  try {
    text = readFileSync(join(dir, CHECKPOINT_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { found: false };
    return { found: true, problem: `cannot read ${CHECKPOINT_FILE}: ${(error as Error).message}` };
  }
  try {
    const value = JSON.parse(text) as Partial<Checkpoint>;
    if (Number.isSafeInteger(value.seq) && typeof value.hash === 'string' && typeof value.file === 'string') {
      return { found: true, checkpoint: { seq: value.seq!, hash: value.hash, file: value.file } };
    }
  } catch {
    // reported below: an unreadable checkpoint is a finding, not a crash
  }
  return { found: true, problem: `${CHECKPOINT_FILE} is not a valid checkpoint` };
}

/** Atomic replace: a crash leaves the old checkpoint or the new one, never half of one. */
export async function writeCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  const path = join(dir, CHECKPOINT_FILE);
  await writeFile(`${path}.tmp`, `${JSON.stringify(checkpoint)}\n`);
  await rename(`${path}.tmp`, path);
}
