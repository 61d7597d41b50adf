import { z } from 'zod';
import { id } from './config/common.js';

/**
 * `c5.audit-checkpoint.v1`: the box's signed statement "my audit log's record `seq` has hash
 * `hash`", published retained on `{prefix}/{site}/audit/checkpoint` and carried in the stats
 * message. The centre keeps them; a log rewritten later, even with every hash recomputed, then
 * contradicts a checkpoint the box can no longer take back (the idea of Certificate
 * Transparency's signed tree heads and Rekor's checkpoints, for a hash chain).
 */

export const AUDIT_CHECKPOINT_SCHEMA_NAME = 'c5.audit-checkpoint.v1';

/** First line of the signed text: a signature made for anything else never verifies as a checkpoint. */
export const AUDIT_CHECKPOINT_SIGNING_CONTEXT = 'c5-audit-checkpoint-v1';

export const auditCheckpointSchema = z
  .strictObject({
    schema: z.literal(AUDIT_CHECKPOINT_SCHEMA_NAME).describe(`Always ${AUDIT_CHECKPOINT_SCHEMA_NAME}: the schema of this message.`),
    siteId: id.describe('The site whose audit log this is.'),
    /** the newest record the log had when this was signed */
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe('Sequence number of the newest audit record when this was signed.'),
    /** that record's hash */
    hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits')
      .describe("That record's hash, 64 lower-case hex digits."),
    /** when it was signed, ISO 8601 UTC */
    time: z.iso.datetime({ offset: false }).describe('When it was signed, ISO 8601 UTC.'),
    /** `ed25519-` and 16 hex digits: the fingerprint of `publicKey` */
    keyId: z
      .string()
      .regex(/^ed25519-[0-9a-f]{16}$/, 'expected ed25519- and 16 hex digits')
      .describe('ed25519- and 16 hex digits: the fingerprint of publicKey.'),
    /** the box's Ed25519 public key, 32 raw bytes in base64 */
    publicKey: z
      .string()
      .regex(/^[A-Za-z0-9+/]{43}=$/, 'expected 32 bytes in base64')
      .describe("The box's Ed25519 public key, 32 raw bytes in base64."),
    /** Ed25519 over checkpointSigningText(), 64 bytes in base64 */
    sig: z
      .string()
      .regex(/^[A-Za-z0-9+/]{86}==$/, 'expected 64 bytes in base64')
      .describe('Ed25519 signature over the checkpoint signing text, 64 bytes in base64.'),
  })
  .describe("The signed head of a box's audit log.");

export type AuditCheckpoint = z.output<typeof auditCheckpointSchema>;

export type UnsignedAuditCheckpoint = Pick<AuditCheckpoint, 'siteId' | 'seq' | 'hash' | 'time' | 'keyId'>;

/**
 * The exact text the signature covers: the context line, then one `name value` line each for
 * the site, seq, hash, time and key id. No field can hold a newline (the schema says so), so no
 * two checkpoints share a text; the public key is bound through its fingerprint, the key id.
 */
export function checkpointSigningText(checkpoint: UnsignedAuditCheckpoint): string {
  return (
    `${AUDIT_CHECKPOINT_SIGNING_CONTEXT}\n` +
    `site ${checkpoint.siteId}\n` +
    `seq ${checkpoint.seq}\n` +
    `hash ${checkpoint.hash}\n` +
    `time ${checkpoint.time}\n` +
    `key ${checkpoint.keyId}\n`
  );
}
