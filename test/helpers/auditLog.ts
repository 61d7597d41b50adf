import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../agent/clock.js';
import { AuditLog } from '../../agent/audit/AuditLog.js';
import type { AuditRecord } from '../../agent/audit/auditRecord.js';
import { createRootLogger, type Logger } from '../../agent/observe/logger.js';
import { ManualClock } from './manualClock.js';

/** Audit logs on real disk in temp folders, for the audit tests. */

/** 2026-11-29T23:59:00Z: one minute before a UTC day ends, so a test can cross midnight. */
export const LATE_EVENING = Date.UTC(2026, 10, 29, 23, 59, 0);

export function tempAuditDir(): string {
  return mkdtempSync(join(tmpdir(), 'c5-audit-'));
}

export interface FailureCounts {
  readonly counts: Map<string, number>;
  readonly auditWriteFailuresTotal: { inc(labels: { reason: string }): void };
}

export function failureCounts(): FailureCounts {
  const counts = new Map<string, number>();
  return { counts, auditWriteFailuresTotal: { inc: ({ reason }) => counts.set(reason, (counts.get(reason) ?? 0) + 1) } };
}

export function openTestLog(dir: string, options: { clock?: Clock; logger?: Logger; metrics?: FailureCounts } = {}): AuditLog {
  return AuditLog.open({
    dir,
    fsyncIntervalMs: 1_000,
    clock: options.clock ?? new ManualClock(LATE_EVENING - 60_000),
    logger: options.logger ?? createRootLogger({ level: 'silent' }),
    metrics: options.metrics,
  });
}

/** A closed log of `count` small records, checkpointed, in a fresh folder. */
export async function writeSampleLog(count: number, clock: Clock = new ManualClock(LATE_EVENING - 60_000)): Promise<string> {
  const dir = tempAuditDir();
  const log = openTestLog(dir, { clock });
  for (let i = 1; i <= count; i += 1) log.append({ type: 'sample', n: i, note: `record ${i}` });
  await log.stop();
  return dir;
}

export function auditFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort();
}

/** The records on disk, in order; lines that are not JSON (a torn write) are left out. */
export function readRecords(dir: string): AuditRecord[] {
  return auditFiles(dir).flatMap((file) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as AuditRecord];
        } catch {
          return []; // not a record: the tests that care look at the raw file
        }
      }),
  );
}
