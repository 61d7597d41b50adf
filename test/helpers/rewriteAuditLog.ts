import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditFiles } from './auditLog.js';

/**
 * What someone who can write the audit folder can do: edit a record, then recompute every hash
 * after it so the chain is whole again, and fix `audit.head.json` to match. Sealing is written
 * out here from the README's description (sha256 over the record without `hash`, keys sorted,
 * no whitespace), not borrowed from the agent, so the test does not check the code against itself.
 */
export function rewriteAuditLog(dir: string, edit: (record: Record<string, unknown>) => void): void {
  let prevHash = '0'.repeat(64);
  let last: { seq: number; hash: string; file: string } | undefined;
  for (const file of auditFiles(dir)) {
    const path = join(dir, file);
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
    const resealed = lines.map((line) => {
      const { hash: _old, ...record } = JSON.parse(line) as Record<string, unknown>;
      edit(record);
      record['prevHash'] = prevHash;
      const hash = createHash('sha256').update(sortedJson(record)).digest('hex');
      prevHash = hash;
      last = { seq: record['seq'] as number, hash, file };
      return sortedJson({ ...record, hash });
    });
    writeFileSync(path, resealed.map((line) => `${line}\n`).join(''));
  }
  if (last) writeFileSync(join(dir, 'audit.head.json'), `${JSON.stringify(last)}\n`);
}

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${sortedJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
