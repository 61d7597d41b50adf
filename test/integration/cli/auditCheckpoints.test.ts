import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditCheckpoints } from '../../../agent/audit/AuditCheckpoints.js';
import { loadOrCreateCheckpointKey } from '../../../agent/audit/checkpointKey.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { auditFiles, LATE_EVENING, openTestLog, tempAuditDir } from '../../helpers/auditLog.js';
import { ManualClock } from '../../helpers/manualClock.js';
import { rewriteAuditLog } from '../../helpers/rewriteAuditLog.js';
import { runCli } from '../../helpers/runCli.js';

const logger = createRootLogger({ level: 'silent' });
const INTERVAL_MS = 60_000;

/**
 * A log written by the real AuditLog while the real publisher signs its head; the "centre" keeps
 * every published checkpoint as one JSON line, as a subscriber to audit/checkpoint would.
 */
async function anchoredLog(): Promise<{ dir: string; centre: string; publicKey: string }> {
  const dir = tempAuditDir();
  const centre = join(tempAuditDir(), 'checkpoints.jsonl');
  const clock = new ManualClock(LATE_EVENING - 3_600_000);
  const log = openTestLog(dir, { clock });
  const key = loadOrCreateCheckpointKey(`${dir}-checkpoint-key.pem`, logger);
  const link = {
    publish: async (_topic: string, payload: string) => appendFileSync(centre, `${payload}\n`),
  };
  const checkpoints = new AuditCheckpoints({
    head: () => log.last,
    key,
    siteId: 'north',
    topic: 'c5/north/audit/checkpoint',
    link,
    intervalMs: INTERVAL_MS,
    clock,
    logger,
  });
  log.append({ type: 'sample', n: 1, note: 'the door opened' });
  checkpoints.start(); // seq 1
  // the "broker" acknowledges it: one checkpoint at a time waits for its PUBACK
  await new Promise((resolve) => setImmediate(resolve));
  for (let n = 2; n <= 4; n += 1) log.append({ type: 'sample', n, note: `record ${n}` });
  clock.advance(INTERVAL_MS); // seq 4
  await new Promise((resolve) => setImmediate(resolve));
  log.append({ type: 'sample', n: 5, note: 'record 5' });
  checkpoints.stop(); // seq 5
  log.append({ type: 'sample', n: 6, note: 'after the last checkpoint' });
  await log.stop();
  await new Promise((resolve) => setImmediate(resolve));
  return { dir, centre, publicKey: key.publicKey };
}

describe('c5-agent audit verify --checkpoints', () => {
  it('passes a log the checkpoints agree with, and catches it once rewritten with recomputed hashes, which plain verify cannot', async () => {
    const { dir, centre, publicKey } = await anchoredLog();
    const file = auditFiles(dir)[0]!;

    const anchored = await runCli(['audit', 'verify', dir, '--checkpoints', centre, '--public-key', publicKey]);
    expect(anchored.stderr).toBe('');
    expect(anchored.stdout).toMatch(
      /^OK: 6 records in 1 files, last seq 6\nanchored: 3 checkpoint\(s\) signed by ed25519-[0-9a-f]{16} match the log, the newest at seq 5 \(.+\); the 1 record\(s\) after it are not anchored yet\n$/,
    );
    expect(anchored.code).toBe(0);

    // What someone with write access to the folder does: change what record 3 says, reseal everything after it.
    rewriteAuditLog(dir, (record) => {
      if (record['seq'] === 3) record['note'] = 'nothing happened';
    });
    const plain = await runCli(['audit', 'verify', dir]);
    expect(plain.stdout).toBe('OK: 6 records in 1 files, last seq 6\n');
    expect(plain.code).toBe(0);

    const caught = await runCli(['audit', 'verify', dir, '--checkpoints', centre]);
    expect(caught.stdout).toMatch(
      new RegExp(
        `^BROKEN: ${file} line 4, seq 4: rewritten: its hash [0-9a-f]{12}\\.\\.\\. is not the [0-9a-f]{12}\\.\\.\\. that checkpoint ${centre} entry 2 \\(seq 4, signed .+\\) holds: ` +
          'the log was rewritten after the centre received that checkpoint \\(one of seq 2\\.\\.4 changed, and the hashes after it recomputed\\)\\n' +
          '\\(1 record\\(s\\) before it verify, up to seq 1\\)\\n' +
          'anchored: 1 checkpoint\\(s\\) signed by ed25519-[0-9a-f]{16} match the log, the newest at seq 1 ',
      ),
    );
    expect(caught.code).toBe(3);
  }, 30_000);

  it('fails with exit 4 (invalid signature) and the entry named when a checkpoint is not from the key given', async () => {
    const { dir, centre } = await anchoredLog();
    const other = await anchoredLog();
    const result = await runCli(['audit', 'verify', dir, '--checkpoints', centre, '--public-key', other.publicKey]);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(`${centre} entry 1 \\(seq 1\\) is signed by ed25519-[0-9a-f]{16}, not by ed25519-[0-9a-f]{16} \\(the --public-key given\\)`),
    );
    expect(result.code).toBe(4);
  }, 30_000);
});
