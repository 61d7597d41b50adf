import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/clock.js';
import { verifyAuditLog } from '../../../agent/audit/verifyAuditLog.js';
import { openTestLog, readRecords, tempAuditDir } from '../../helpers/auditLog.js';
import { repoRoot } from '../../helpers/paths.js';

const CHILD = join(repoRoot, 'test', 'helpers', 'auditWriterChild.mjs');

describe('audit log after kill -9', () => {
  it('verifies clean after a writer is killed mid-stream and a new one carries on', async () => {
    if (!existsSync(join(repoRoot, 'dist', 'agent', 'audit', 'AuditLog.js')))
      throw new Error('dist/ is missing: run `npm run build` (npm test does it in pretest)');
    const dir = tempAuditDir();
    const child = spawn(process.execPath, [CHILD, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('writer child never said ready')), 15_000);
      child.stdout.on('data', (chunk: Buffer) => {
        if (!chunk.toString().includes('ready')) return;
        clearTimeout(timer);
        resolve();
      });
    });
    // mid-stream: the child is appending and fsyncing in batches when it dies
    await new Promise((resolve) => setTimeout(resolve, 150));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const written = readRecords(dir).length;
    expect(written).toBeGreaterThan(2000);

    const log = openTestLog(dir, { clock: systemClock });
    const resumedAt = log.last.seq;
    for (let n = 0; n < 10; n += 1) log.append({ type: 'after_restart', n });
    await log.stop();

    const result = verifyAuditLog(dir);
    expect(result.broken).toBeUndefined();
    expect(result.ok).toBe(true);
    // every record the killed writer got onto disk is still in the chain, and the chain goes on from it
    expect(resumedAt).toBeGreaterThanOrEqual(written);
    expect(result.last.seq).toBeGreaterThanOrEqual(resumedAt + 10);
  }, 30_000);
});
