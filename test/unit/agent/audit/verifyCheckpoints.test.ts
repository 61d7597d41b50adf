import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signAuditCheckpoint } from '../../../../agent/audit/auditCheckpointSignature.js';
import { loadOrCreateCheckpointKey, type CheckpointKey } from '../../../../agent/audit/checkpointKey.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { readCheckpointsFile, type StoredCheckpoint } from '../../../../agent/audit/readCheckpointsFile.js';
import { verifyAgainstCheckpoints } from '../../../../agent/audit/verifyCheckpoints.js';
import { formatVerification } from '../../../../agent/audit/verifyAuditLog.js';
import type { AuditCheckpoint } from '../../../../pipelines/auditCheckpoint.js';
import { auditFiles, LATE_EVENING, readRecords, tempAuditDir, writeSampleLog } from '../../../helpers/auditLog.js';
import { ManualClock } from '../../../helpers/manualClock.js';
import { rewriteAuditLog } from '../../../helpers/rewriteAuditLog.js';

const logger = createRootLogger({ level: 'silent' });
const SOURCE = 'centre.jsonl';

function newKey(): CheckpointKey {
  return loadOrCreateCheckpointKey(join(tempAuditDir(), 'key.pem'), logger);
}

/** Checkpoints of the records now on disk at these seqs, as the centre would have stored them. */
function checkpointsOf(dir: string, seqs: readonly number[], key: CheckpointKey): StoredCheckpoint[] {
  const records = readRecords(dir);
  return seqs.map((seq, i) => {
    const record = records.find((r) => r.seq === seq) ?? { seq, hash: 'ee'.repeat(32) };
    return { checkpoint: signAuditCheckpoint({ seq, hash: record.hash }, 'north', LATE_EVENING + i * 1000, key), entry: i + 1 };
  });
}

describe('verifyAgainstCheckpoints', () => {
  it('passes a log that holds every checkpoint, and says how far it is anchored', async () => {
    const dir = await writeSampleLog(6, new ManualClock(LATE_EVENING));
    const key = newKey();
    const result = verifyAgainstCheckpoints(dir, checkpointsOf(dir, [2, 4], key), { source: SOURCE });
    expect(result).toMatchObject({ ok: true, records: 6, anchor: { checkpoints: 2, keyId: key.keyId, newest: { seq: 4 } } });
    expect(formatVerification(result)).toBe(
      'OK: 6 records in 1 files, last seq 6\n' +
        `anchored: 2 checkpoint(s) signed by ${key.keyId} match the log, the newest at seq 4 (2026-11-29T23:59:01.000Z); the 2 record(s) after it are not anchored yet\n`,
    );
  });

  it('catches a log rewritten with recomputed hashes, naming the first checkpoint it contradicts', async () => {
    const dir = await writeSampleLog(6, new ManualClock(LATE_EVENING));
    const key = newKey();
    const stored = checkpointsOf(dir, [5, 2, 4], key);
    rewriteAuditLog(dir, (record) => {
      if (record['seq'] === 3) record['note'] = 'nothing happened here';
    });
    const result = verifyAgainstCheckpoints(dir, stored, { source: SOURCE });
    const file = auditFiles(dir)[0]!;
    expect(result).toMatchObject({
      ok: false,
      records: 2,
      last: { seq: 2, hash: stored[1]!.checkpoint.hash },
      broken: { file, line: 4, seq: 4, kind: 'rewritten' },
      anchor: { checkpoints: 1, newest: { seq: 2 } },
    });
    expect(formatVerification(result)).toMatch(
      new RegExp(
        `^BROKEN: ${file} line 4, seq 4: rewritten: its hash [0-9a-f]{12}\\.\\.\\. is not the ${stored[2]!.checkpoint.hash.slice(0, 12)}\\.\\.\\. that ` +
          `checkpoint centre\\.jsonl entry 3 \\(seq 4, signed 2026-11-29T23:59:02\\.000Z\\) holds: the log was rewritten after the centre received that checkpoint ` +
          `\\(one of seq 3\\.\\.4 changed, and the hashes after it recomputed\\)\\n` +
          `\\(2 record\\(s\\) before it verify, up to seq 2\\)\\n`,
      ),
    );
  });

  it('reports a checkpoint past the end of the log as missing records', async () => {
    const dir = await writeSampleLog(3, new ManualClock(LATE_EVENING));
    const result = verifyAgainstCheckpoints(dir, checkpointsOf(dir, [3, 9], newKey()), { source: SOURCE });
    expect(result.broken).toEqual({
      file: auditFiles(dir)[0]!,
      line: 4,
      seq: 4,
      kind: 'truncated',
      detail:
        'the log ends at seq 3, but checkpoint centre.jsonl entry 2 (seq 9, signed 2026-11-29T23:59:01.000Z) says the log had reached it: records are missing from the end',
    });
  });

  it('refuses checkpoints with a bad signature, from a second key, or from a key other than --public-key', async () => {
    const dir = await writeSampleLog(4, new ManualClock(LATE_EVENING));
    const box = newKey();
    const other = newKey();
    const good = checkpointsOf(dir, [1, 2], box);
    const forged: StoredCheckpoint = { entry: 3, checkpoint: { ...checkpointsOf(dir, [3], box)[0]!.checkpoint, seq: 4 } };
    expect(() => verifyAgainstCheckpoints(dir, [...good, forged], { source: SOURCE })).toThrow(
      `${SOURCE} entry 3 (seq 4): its signature does not verify with key ${box.keyId}`,
    );

    const second: StoredCheckpoint = { entry: 3, checkpoint: checkpointsOf(dir, [3], other)[0]!.checkpoint };
    expect(() => verifyAgainstCheckpoints(dir, [...good, second], { source: SOURCE })).toThrow(
      `${SOURCE} entry 3 (seq 3) is signed by ${other.keyId}, not by ${box.keyId} (entry 1): checkpoints from another key anchor nothing; name the box key with --public-key`,
    );
    expect(() => verifyAgainstCheckpoints(dir, good, { source: SOURCE, publicKey: other.publicKey })).toThrow(
      `${SOURCE} entry 1 (seq 1) is signed by ${box.keyId}, not by ${other.keyId} (the --public-key given)`,
    );
    expect(verifyAgainstCheckpoints(dir, good, { source: SOURCE, publicKey: box.publicKey }).ok).toBe(true);

    // the box key used twice for one seq: equivocation, whichever of the two the log holds
    const fork: StoredCheckpoint = { entry: 3, checkpoint: signAuditCheckpoint({ seq: 2, hash: 'ee'.repeat(32) }, 'north', LATE_EVENING, box) };
    expect(() => verifyAgainstCheckpoints(dir, [...good, fork], { source: SOURCE })).toThrow(
      `${SOURCE} entry 3 (seq 2) and entry 2 are both signed by ${box.keyId} but name different hashes for seq 2: the box key signed two histories, so it is not the box's alone`,
    );
  });
});

describe('readCheckpointsFile', () => {
  const stored = (dir: string): AuditCheckpoint[] => checkpointsOf(dir, [1, 2], newKey()).map((s) => s.checkpoint);

  it('reads JSON Lines (blank lines skipped) and a JSON array alike', async () => {
    const dir = await writeSampleLog(2);
    const checkpoints = stored(dir);
    const lines = join(dir, 'c.jsonl');
    writeFileSync(lines, `${JSON.stringify(checkpoints[0])}\n\n${JSON.stringify(checkpoints[1])}\r\n`);
    expect(readCheckpointsFile(lines)).toEqual([
      { checkpoint: checkpoints[0], entry: 1 },
      { checkpoint: checkpoints[1], entry: 3 },
    ]);
    const array = join(dir, 'c.json');
    writeFileSync(array, JSON.stringify(checkpoints, null, 2));
    expect(readCheckpointsFile(array).map((s) => s.entry)).toEqual([1, 2]);
  });

  it('names the entry and the fields that are wrong, without echoing more than a short prefix of the file', async () => {
    const dir = await writeSampleLog(2);
    const [first] = stored(dir);
    const path = join(dir, 'c.jsonl');
    const secretish = 'x'.repeat(5000);
    writeFileSync(path, `${JSON.stringify(first)}\n${JSON.stringify({ ...first, seq: 'two', [secretish]: 1 })}\n`);
    let message = '';
    try {
      readCheckpointsFile(path);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/ entry 2: not a c5\.audit-checkpoint\.v1 \(/);
    expect(message).toContain('seq: ');
    expect(message).toContain('(root): unknown key(s) "xxxxxxxx');
    expect(message).not.toContain('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx');

    writeFileSync(path, `{"schema": ${secretish}\n`);
    expect(() => readCheckpointsFile(path)).toThrow(/ line 1: not JSON \(starts "\{\\"schema\\": xxx.*… \(\d+ more chars\)\)$/);
    writeFileSync(path, '\n\n');
    expect(() => readCheckpointsFile(path)).toThrow(/holds no checkpoints$/);
  });
});
