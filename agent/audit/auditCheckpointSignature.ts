import { sign, verify, type KeyObject } from 'node:crypto';
import { AUDIT_CHECKPOINT_SCHEMA_NAME, checkpointSigningText, type AuditCheckpoint } from '../../pipelines/auditCheckpoint.js';
import { fingerprintOf, readPublicKey } from '../fleet/signing.js';
import type { AuditRef } from './auditRecord.js';
import type { CheckpointKey } from './checkpointKey.js';

/** Signs "record `head.seq` of `siteId`'s log has hash `head.hash`" at `time` (epoch ms). */
export function signAuditCheckpoint(head: AuditRef, siteId: string, time: number, key: CheckpointKey): AuditCheckpoint {
  const unsigned = { siteId, seq: head.seq, hash: head.hash, time: new Date(time).toISOString(), keyId: key.keyId };
  const sig = sign(null, Buffer.from(checkpointSigningText(unsigned), 'utf8'), key.privateKey);
  return { schema: AUDIT_CHECKPOINT_SCHEMA_NAME, ...unsigned, publicKey: key.publicKey, sig: sig.toString('base64') };
}

export type CheckpointSignatureCheck = { readonly ok: true; readonly publicKey: KeyObject } | { readonly ok: false; readonly problem: string };

/**
 * Whether the checkpoint's signature holds under the key it names, and that key is the one its
 * key id fingerprints. The caller decides whether that key is the box's (one key throughout,
 * or the one given on the command line): a checkpoint proves nothing by its own key alone.
 */
export function checkAuditCheckpointSignature(checkpoint: AuditCheckpoint): CheckpointSignatureCheck {
  let publicKey: KeyObject;
  try {
    publicKey = readPublicKey(checkpoint.publicKey);
  } catch (error) {
    return { ok: false, problem: `its publicKey is not an Ed25519 key (${(error as Error).message})` };
  }
  const fingerprint = fingerprintOf(publicKey);
  if (fingerprint !== checkpoint.keyId) return { ok: false, problem: `its keyId ${checkpoint.keyId} is not the fingerprint of its publicKey (${fingerprint})` };
  const signed = verify(null, Buffer.from(checkpointSigningText(checkpoint), 'utf8'), publicKey, Buffer.from(checkpoint.sig, 'base64'));
  return signed ? { ok: true, publicKey } : { ok: false, problem: `its signature does not verify with key ${checkpoint.keyId}` };
}
