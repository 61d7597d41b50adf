import { createHash, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAuditCheckpointSignature, signAuditCheckpoint } from '../../../../agent/audit/auditCheckpointSignature.js';
import { loadOrCreateCheckpointKey } from '../../../../agent/audit/checkpointKey.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { auditCheckpointSchema, type AuditCheckpoint } from '../../../../pipelines/auditCheckpoint.js';
import { tempAuditDir } from '../../../helpers/auditLog.js';

const logger = createRootLogger({ level: 'silent' });
const HASH = 'ab'.repeat(32);
const AT = Date.UTC(2026, 10, 29, 12, 0, 0);

function boxKey() {
  const path = join(tempAuditDir(), 'box.pem');
  return { path, key: loadOrCreateCheckpointKey(path, logger) };
}

describe('audit checkpoint signatures', () => {
  it('signs site, seq, hash, time and key id as the documented text, verifiable with plain Ed25519', () => {
    const { path, key } = boxKey();
    const checkpoint = signAuditCheckpoint({ seq: 42, hash: HASH }, 'north', AT, key);
    expect(auditCheckpointSchema.parse(checkpoint)).toEqual(checkpoint);
    expect(checkpoint).toMatchObject({ schema: 'c5.audit-checkpoint.v1', siteId: 'north', seq: 42, hash: HASH, time: '2026-11-29T12:00:00.000Z' });

    // Independently of the agent's code: the key from the PEM file, the text as documented.
    const publicKey = createPublicKey(createPrivateKey(readFileSync(path, 'utf8')));
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    expect(checkpoint.publicKey).toBe(raw.toString('base64'));
    expect(checkpoint.keyId).toBe(`ed25519-${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`);
    const text = `c5-audit-checkpoint-v1\nsite north\nseq 42\nhash ${HASH}\ntime 2026-11-29T12:00:00.000Z\nkey ${checkpoint.keyId}\n`;
    expect(verify(null, Buffer.from(text), publicKey, Buffer.from(checkpoint.sig, 'base64'))).toBe(true);
    expect(checkAuditCheckpointSignature(checkpoint).ok).toBe(true);
  });

  const tampered: [string, (c: AuditCheckpoint) => AuditCheckpoint][] = [
    ['seq', (c) => ({ ...c, seq: c.seq + 1 })],
    ['hash', (c) => ({ ...c, hash: 'cd'.repeat(32) })],
    ['time', (c) => ({ ...c, time: '2026-11-29T12:00:01.000Z' })],
    ['site', (c) => ({ ...c, siteId: 'south' })],
    ['signature', (c) => ({ ...c, sig: Buffer.from(Buffer.from(c.sig, 'base64').map((b, i) => (i === 10 ? b ^ 1 : b))).toString('base64') })],
  ];
  it.each(tampered)('rejects a checkpoint whose %s was changed after signing', (_field, change) => {
    const { key } = boxKey();
    const check = checkAuditCheckpointSignature(change(signAuditCheckpoint({ seq: 42, hash: HASH }, 'north', AT, key)));
    expect(check).toEqual({ ok: false, problem: `its signature does not verify with key ${key.keyId}` });
  });

  it('rejects a checkpoint re-signed with another key but still naming the box key, or naming a key id that is not its key', () => {
    const box = boxKey().key;
    const other = boxKey().key;
    const genuine = signAuditCheckpoint({ seq: 7, hash: HASH }, 'north', AT, box);
    const forged = signAuditCheckpoint({ seq: 7, hash: 'cd'.repeat(32) }, 'north', AT, other);
    // another key's signature under the box's public key and id
    expect(checkAuditCheckpointSignature({ ...forged, publicKey: genuine.publicKey, keyId: genuine.keyId }).ok).toBe(false);
    // the box's key id on another public key
    expect(checkAuditCheckpointSignature({ ...forged, keyId: genuine.keyId })).toEqual({
      ok: false,
      problem: `its keyId ${genuine.keyId} is not the fingerprint of its publicKey (${other.keyId})`,
    });
  });
});
