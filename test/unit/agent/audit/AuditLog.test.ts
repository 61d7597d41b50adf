import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE } from '../../../../agent/audit/auditFiles.js';
import { AuditLog } from '../../../../agent/audit/AuditLog.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { createAgentMetrics } from '../../../../agent/observe/metrics.js';
import { withAuditHealth } from '../../../../agent/audit/openAgentAuditLog.js';
import { GENESIS_HASH } from '../../../../agent/audit/auditRecord.js';
import { verifyAuditLog } from '../../../../agent/audit/verifyAuditLog.js';
import { auditFiles, failureCounts, LATE_EVENING, openTestLog, readRecords, tempAuditDir, writeSampleLog } from '../../../helpers/auditLog.js';
import { ManualClock } from '../../../helpers/manualClock.js';

const sortedJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );

describe('AuditLog', () => {
  it('chains each record to the one before, hashing the sorted, whitespace-free record without its hash', async () => {
    const dir = tempAuditDir();
    const clock = new ManualClock(LATE_EVENING - 60_000);
    const log = openTestLog(dir, { clock });
    const first = log.append({ type: 'sample', b: 2, a: { z: [1, 'x'], y: null } });
    clock.advance(5);
    const second = log.append({ type: 'sample', n: 2 });
    await log.stop();

    expect(first?.seq).toBe(1);
    expect(second?.seq).toBe(2);
    const [r1, r2] = readRecords(dir);
    expect(r1).toMatchObject({ seq: 1, type: 'sample', time: '2026-11-29T23:58:00.000Z', prevHash: GENESIS_HASH, hash: first!.hash });
    expect(r2).toMatchObject({ seq: 2, time: '2026-11-29T23:58:00.005Z', prevHash: first!.hash, hash: second!.hash });
    const { hash, ...body } = r1!;
    expect(createHash('sha256').update(sortedJson(body)).digest('hex')).toBe(hash);
    // the line on disk is that same canonical encoding, hash included
    expect(readFileSync(join(dir, auditFiles(dir)[0]!), 'utf8').split('\n')[0]).toBe(sortedJson(r1));
  });

  it('starts a new file each UTC day and carries the chain across it', async () => {
    const dir = tempAuditDir();
    const clock = new ManualClock(LATE_EVENING);
    const log = openTestLog(dir, { clock });
    log.append({ type: 'sample', n: 1 });
    clock.advance(120_000);
    log.append({ type: 'sample', n: 2 });
    // a clock stepped back across midnight keeps writing the newer file, so files stay in chain order
    clock.advance(-180_000);
    log.append({ type: 'sample', n: 3 });
    await log.stop();

    expect(auditFiles(dir)).toEqual(['audit-2026-11-29.jsonl', 'audit-2026-11-30.jsonl']);
    expect(readRecords(dir).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(verifyAuditLog(dir)).toMatchObject({ ok: true, records: 3, files: 2 });
  });

  it('continues the chain after a restart, from the newest file', async () => {
    const clock = new ManualClock(LATE_EVENING - 60_000);
    const dir = await writeSampleLog(3, clock);
    const reopened = openTestLog(dir, { clock });
    expect(reopened.last.seq).toBe(3);
    expect(reopened.append({ type: 'sample', n: 4 })?.seq).toBe(4);
    await reopened.stop();
    expect(verifyAuditLog(dir)).toMatchObject({ ok: true, records: 4, last: { seq: 4 } });
  });

  it('fsyncs in batches: the checkpoint moves only when a batch is flushed', async () => {
    const dir = tempAuditDir();
    const log = openTestLog(dir);
    const ref = log.append({ type: 'sample', n: 1 });
    expect(existsSync(join(dir, CHECKPOINT_FILE))).toBe(false);
    await log.flush();
    expect(JSON.parse(readFileSync(join(dir, CHECKPOINT_FILE), 'utf8'))).toEqual({ ...ref, file: 'audit-2026-11-29.jsonl' });
    await log.stop();
  });

  it('seals a partial last line left by a crash, names it in the next record, and verifies again', async () => {
    const metrics = failureCounts();
    const dir = await writeSampleLog(3);
    const file = join(dir, auditFiles(dir)[0]!);
    appendFileSync(file, '{"hash":"12ab","prevHash":"');
    expect(verifyAuditLog(dir).broken).toMatchObject({ line: 4, kind: 'truncated' });

    const log = openTestLog(dir, { metrics });
    expect(log.last.seq).toBe(4);
    await log.stop();
    const recovered = readRecords(dir).filter((r) => r.type === 'audit_recovered');
    expect(recovered).toEqual([
      expect.objectContaining({ seq: 4, torn: [expect.objectContaining({ file: 'audit-2026-11-29.jsonl', line: 4, bytes: 27 })], lost: 0 }),
    ]);
    const result = verifyAuditLog(dir);
    expect(result).toMatchObject({ ok: true, records: 4 });
    expect(result.notes).toContain('audit-2026-11-29.jsonl line 4: partial line (27 bytes) from an interrupted write, sealed by seq 4');
    expect(metrics.counts.get('torn_tail')).toBe(1);
  });

  it('on a full disk loses records (counted), reports degraded, and resumes with a record of the loss', async () => {
    const metrics = failureCounts();
    const dir = tempAuditDir();
    const clock = new ManualClock(LATE_EVENING);
    const log = openTestLog(dir, { clock, metrics });
    expect(log.append({ type: 'sample', n: 1 })?.seq).toBe(1);
    // tomorrow's file is /dev/full: every write to it fails with ENOSPC
    symlinkSync('/dev/full', join(dir, 'audit-2026-11-30.jsonl'));
    clock.advance(120_000);

    expect(log.append({ type: 'sample', n: 2 })).toBeUndefined();
    expect(log.append({ type: 'sample', n: 3 })).toBeUndefined();
    expect(log.health).toMatchObject({ state: 'degraded', reason: 'ENOSPC', lost: 2 });
    expect(metrics.counts.get('write')).toBe(2);

    rmSync(join(dir, 'audit-2026-11-30.jsonl'));
    clock.advance(1_000);
    expect(log.append({ type: 'sample', n: 4 })?.seq).toBe(3);
    expect(log.health).toMatchObject({ state: 'ok', lost: 0 });
    await log.stop();
    expect(readRecords(dir).map((r) => [r.seq, r.type, r['lost']])).toEqual([
      [1, 'sample', undefined],
      [2, 'audit_recovered', 2],
      [3, 'sample', undefined],
    ]);
    const result = verifyAuditLog(dir);
    expect(result.ok).toBe(true);
    expect(result.notes).toContain('seq 2: 2 record(s) could not be written before it (the disk failed)');
  });

  it('never throws for a folder it cannot create; it is degraded, not ready, and counts what it loses', async () => {
    const metrics = createAgentMetrics({ siteId: 's', version: '1', defaultMetrics: false });
    const parent = tempAuditDir();
    writeFileSync(join(parent, 'not-a-folder'), 'x');
    const log = AuditLog.open({
      dir: join(parent, 'not-a-folder', 'audit'),
      fsyncIntervalMs: 1_000,
      clock: new ManualClock(),
      logger: createRootLogger({ level: 'silent' }),
      metrics,
    });
    expect(log.health).toMatchObject({ state: 'degraded', reason: 'ENOTDIR' });
    expect(log.append({ type: 'sample' })).toBeUndefined();
    expect(await metrics.registry.metrics()).toContain('c5_agent_audit_write_failures_total{reason="write"} 1');
    expect(withAuditHealth({ ready: true, reasons: [] }, log)).toEqual({ ready: false, reasons: ['audit_log_degraded'] });
    await log.stop();
  });

  it('refuses fields it sets itself and values JSON cannot carry, and appends nothing after shutdown', async () => {
    const dir = tempAuditDir();
    const log = openTestLog(dir);
    expect(() => log.append({ type: 'sample', seq: 9 })).toThrow(/sets "seq"/);
    expect(() => log.append({ type: 'sample', value: Number.NaN })).toThrow(TypeError);
    await log.stop();
    await log.stop();
    expect(log.health.state).toBe('closed');
    expect(() => log.append({ type: 'sample' })).toThrow(/shut down/);
    expect(readRecords(dir)).toEqual([]);
  });
});
