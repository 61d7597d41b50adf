import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedHash, type AuditRecord } from '../../../../agent/audit/auditRecord.js';
import { canonicalJson } from '../../../../agent/audit/canonicalJson.js';
import { formatVerification, verifyAuditLog } from '../../../../agent/audit/verifyAuditLog.js';
import { auditFiles, LATE_EVENING, openTestLog, tempAuditDir, writeSampleLog } from '../../../helpers/auditLog.js';
import { ManualClock } from '../../../helpers/manualClock.js';

/** The sample log's one file as lines (without the final empty one), and a way to write them back. */
function linesOf(dir: string): { file: string; lines: string[]; write: (lines: string[]) => void } {
  const file = join(dir, auditFiles(dir)[0]!);
  const lines = readFileSync(file, 'utf8').split('\n').slice(0, -1);
  return { file, lines, write: (next) => writeFileSync(file, next.map((line) => `${line}\n`).join('')) };
}

describe('verifyAuditLog', () => {
  it('accepts an untouched log and says how much it checked', async () => {
    const clock = new ManualClock(LATE_EVENING);
    const dir = await writeSampleLog(5, clock);
    const result = verifyAuditLog(dir);
    expect(result).toMatchObject({ ok: true, records: 5, files: 1, last: { seq: 5 }, notes: [] });
    expect(formatVerification(result)).toBe('OK: 5 records in 1 files, last seq 5\n');
  });

  it('catches every single flipped byte, wherever it is', async () => {
    const dir = await writeSampleLog(2);
    const { file } = linesOf(dir);
    const original = readFileSync(file);
    const missed: number[] = [];
    for (let offset = 0; offset < original.length; offset += 1) {
      const tampered = Buffer.from(original);
      tampered[offset] = tampered[offset]! ^ 0x01;
      writeFileSync(file, tampered);
      if (verifyAuditLog(dir).ok) missed.push(offset);
    }
    expect(original.length).toBeGreaterThan(200);
    expect(missed).toEqual([]);
  });

  it('names a flipped byte inside a record as an edit of that record', async () => {
    const dir = await writeSampleLog(5);
    const { lines, write } = linesOf(dir);
    lines[2] = lines[2]!.replace('record 3', 'record 8');
    write(lines);
    const result = verifyAuditLog(dir);
    expect(result.broken).toMatchObject({ file: 'audit-2026-11-29.jsonl', line: 3, seq: 3, kind: 'edited' });
    expect(formatVerification(result)).toMatch(/^BROKEN: audit-2026-11-29\.jsonl line 3, seq 3: edited: the record's content does not match its hash\n/);
  });

  it("catches a record rewritten with a fresh hash through the next record's prevHash", async () => {
    const dir = await writeSampleLog(5);
    const { lines, write } = linesOf(dir);
    const forged = { ...(JSON.parse(lines[1]!) as AuditRecord), note: 'nothing happened' };
    lines[1] = canonicalJson({ ...forged, hash: expectedHash(forged) });
    write(lines);
    expect(verifyAuditLog(dir).broken).toMatchObject({ line: 3, seq: 3, kind: 'edited', detail: expect.stringContaining('prevHash') });
  });

  it('reports a deleted line as removed records', async () => {
    const dir = await writeSampleLog(5);
    const { lines, write } = linesOf(dir);
    write(lines.filter((_line, i) => i !== 2));
    expect(verifyAuditLog(dir).broken).toMatchObject({ line: 3, seq: 4, kind: 'removed', detail: 'expected seq 3, found seq 4: seq 3 is missing' });
  });

  it('reports two swapped lines as reordered', async () => {
    const dir = await writeSampleLog(5);
    const { lines, write } = linesOf(dir);
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    write(lines);
    expect(verifyAuditLog(dir).broken).toMatchObject({
      line: 2,
      seq: 3,
      kind: 'reordered',
      detail: expect.stringContaining('seq 2 comes later, at audit-2026-11-29.jsonl line 3'),
    });
  });

  it('reports a last file cut inside a record as truncated', async () => {
    const dir = await writeSampleLog(5);
    const { file } = linesOf(dir);
    truncateSync(file, readFileSync(file).length - 40);
    const result = verifyAuditLog(dir);
    expect(result.broken).toMatchObject({ line: 5, kind: 'truncated' });
    expect(result).toMatchObject({ ok: false, records: 4 });
  });

  it('reports whole records cut off the end as truncated, against the checkpoint', async () => {
    const dir = await writeSampleLog(5);
    const { lines, write } = linesOf(dir);
    write(lines.slice(0, 3));
    expect(verifyAuditLog(dir).broken).toMatchObject({ line: 4, seq: 4, kind: 'truncated', detail: expect.stringContaining('audit.head.json says seq 5') });
  });

  it('notices a whole missing day file between two others', async () => {
    const dir = tempAuditDir();
    for (const day of [0, 1, 2]) {
      const log = openTestLog(dir, { clock: new ManualClock(LATE_EVENING + day * 86_400_000) });
      log.append({ type: 'sample' });
      await log.stop();
    }
    expect(auditFiles(dir)).toHaveLength(3);
    rmSync(join(dir, auditFiles(dir)[1]!));
    expect(verifyAuditLog(dir).broken).toMatchObject({ file: 'audit-2026-12-01.jsonl', line: 1, seq: 3, kind: 'removed' });
  });

  it('says so when there is no log to verify', () => {
    const dir = tempAuditDir();
    expect(() => verifyAuditLog(dir)).toThrow(/no audit log files \(audit-YYYY-MM-DD\.jsonl\) in/);
    expect(() => verifyAuditLog(join(dir, 'missing'))).toThrow(/cannot be read \(ENOENT\)/);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'audit-2026-11-29.jsonl'), '');
    expect(verifyAuditLog(join(dir, 'sub')).notes).toEqual([expect.stringContaining('no audit.head.json')]);
  });
});
