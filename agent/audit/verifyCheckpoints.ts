import { ObserveError } from '../../pipelines/errors.js';
import { fingerprintOf, readPublicKey } from '../fleet/signing.js';
import { checkAuditCheckpointSignature } from './auditCheckpointSignature.js';
import { GENESIS } from './auditRecord.js';
import type { StoredCheckpoint } from './readCheckpointsFile.js';
import { verifyAuditLog, type AuditRecordPlace, type AuditVerification } from './verifyAuditLog.js';

export interface CheckpointVerifyOptions {
  /** where the checkpoints came from, for messages */
  readonly source: string;
  /** the box's public key (PEM or 32 raw bytes in base64); default: the key of the first checkpoint, and all must share it */
  readonly publicKey?: string;
}

interface Seen extends AuditRecordPlace {
  readonly hash: string;
}

/**
 * `audit verify DIR --checkpoints FILE`: the chain as verifyAuditLog checks it, and then the log
 * against checkpoints kept outside the box. Every checkpoint must carry a valid signature from
 * the one box key; throws ObserveError `checkpoint_untrusted` naming the entry otherwise, since
 * a checkpoint that cannot be trusted anchors nothing. Then, in seq order, the log must hold at
 * each checkpoint's seq a record with exactly its hash: the first that differs is `rewritten`
 * (the chain was recomputed after the centre got that checkpoint), a checkpoint past the log's
 * end is `truncated` (records are missing).
 */
export function verifyAgainstCheckpoints(dir: string, stored: readonly StoredCheckpoint[], options: CheckpointVerifyOptions): AuditVerification {
  if (stored.length === 0) throw new ObserveError('checkpoints_invalid', `${options.source} holds no checkpoints`);
  const keyId = trustedKeyId(stored, options);
  const sorted = [...stored].sort((a, b) => a.checkpoint.seq - b.checkpoint.seq || a.entry - b.entry);
  const wanted = new Set(sorted.map((s) => s.checkpoint.seq));
  const seen = new Map<number, Seen>();
  let lastPlace: AuditRecordPlace | undefined;
  const chain = verifyAuditLog(dir, (record, place) => {
    lastPlace = place;
    if (wanted.has(record.seq)) seen.set(record.seq, { ...place, hash: record.hash });
  });

  const notes = [...chain.notes];
  let newest: { seq: number; time: string } | undefined;
  let newestHash = GENESIS.hash;
  let matched = 0;
  const anchorSoFar = () => ({ checkpoints: matched, keyId, ...(newest ? { newest } : {}) });
  for (const { checkpoint, entry } of sorted) {
    const signed = `checkpoint ${options.source} entry ${entry} (seq ${checkpoint.seq}, signed ${checkpoint.time})`;
    if (checkpoint.seq > chain.last.seq) {
      if (chain.broken) {
        notes.push(`${signed} is past the break: not checked`);
        continue;
      }
      return {
        ...chain,
        ok: false,
        notes,
        anchor: anchorSoFar(),
        broken: {
          file: lastPlace?.file ?? '(none)',
          line: (lastPlace?.line ?? 0) + 1,
          seq: chain.last.seq + 1,
          kind: 'truncated',
          detail: `the log ends at seq ${chain.last.seq}, but ${signed} says the log had reached it: records are missing from the end`,
        },
      };
    }
    const record = seen.get(checkpoint.seq)!;
    if (record.hash !== checkpoint.hash) {
      // The chain holds, so every record from the last matching checkpoint on is suspect, not only this one.
      const from = (newest?.seq ?? 0) + 1;
      const range = from === checkpoint.seq ? `seq ${from}` : `one of seq ${from}..${checkpoint.seq}`;
      return {
        ...chain,
        ok: false,
        records: newest?.seq ?? 0,
        last: newest ? { seq: newest.seq, hash: newestHash } : GENESIS,
        notes,
        anchor: anchorSoFar(),
        broken: {
          file: record.file,
          line: record.line,
          seq: checkpoint.seq,
          kind: 'rewritten',
          detail:
            `its hash ${record.hash.slice(0, 12)}... is not the ${checkpoint.hash.slice(0, 12)}... that ${signed} holds: ` +
            `the log was rewritten after the centre received that checkpoint (${range} changed, and the hashes after it recomputed)`,
        },
      };
    }
    matched += 1;
    newest = { seq: checkpoint.seq, time: checkpoint.time };
    newestHash = checkpoint.hash;
  }
  return { ...chain, notes, anchor: anchorSoFar() };
}

/** The key id every checkpoint must be signed by, after checking each signature. */
function trustedKeyId(stored: readonly StoredCheckpoint[], options: CheckpointVerifyOptions): string {
  const expected = options.publicKey === undefined ? undefined : expectedKeyId(options.publicKey);
  const first = stored[0]!;
  const keyId = expected ?? first.checkpoint.keyId;
  const site = first.checkpoint.siteId;
  const signedAt = new Map<number, StoredCheckpoint>();
  for (const { checkpoint, entry } of stored) {
    const at = `${options.source} entry ${entry} (seq ${checkpoint.seq})`;
    const check = checkAuditCheckpointSignature(checkpoint);
    if (!check.ok) throw new ObserveError('checkpoint_untrusted', `${at}: ${check.problem}`);
    if (checkpoint.keyId !== keyId) {
      const whose = expected ? 'the --public-key given' : `entry ${first.entry}`;
      throw new ObserveError(
        'checkpoint_untrusted',
        `${at} is signed by ${checkpoint.keyId}, not by ${keyId} (${whose}): checkpoints from another key anchor nothing` +
          (expected ? '' : '; name the box key with --public-key'),
      );
    }
    if (checkpoint.siteId !== site)
      throw new ObserveError('checkpoint_untrusted', `${at} is for site ${checkpoint.siteId}, entry ${first.entry} for site ${site}`);
    // Two valid signatures over different hashes for one seq: someone else holds the box key.
    const same = signedAt.get(checkpoint.seq);
    if (same && same.checkpoint.hash !== checkpoint.hash) {
      throw new ObserveError(
        'checkpoint_untrusted',
        `${at} and entry ${same.entry} are both signed by ${keyId} but name different hashes for seq ${checkpoint.seq}: the box key signed two histories, so it is not the box's alone`,
      );
    }
    signedAt.set(checkpoint.seq, { checkpoint, entry });
  }
  return keyId;
}

function expectedKeyId(text: string): string {
  try {
    return fingerprintOf(readPublicKey(text));
  } catch (error) {
    throw new ObserveError('usage', `--public-key: not an Ed25519 public key (${(error as Error).message})`);
  }
}
