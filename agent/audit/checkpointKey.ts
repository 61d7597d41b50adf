import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { dirname } from 'node:path';
import { ObserveError, toError } from '../../pipelines/errors.js';
import { readBoundedFile } from '../config/readBoundedFile.js';
import { fingerprintOf, generateSigningKey, readPrivateKey } from '../fleet/signing.js';
import type { Logger } from '../observe/logger.js';

/**
 * The box's own Ed25519 key for audit checkpoints. Made on first start, kept afterwards: every
 * checkpoint the centre holds is then signed by the same key, and a key that changes shows.
 */
export interface CheckpointKey {
  readonly privateKey: KeyObject;
  /** the 32 raw public key bytes, base64, as checkpoints carry it */
  readonly publicKey: string;
  /** fingerprintOf(publicKey) */
  readonly keyId: string;
}

/** A PKCS#8 PEM Ed25519 key is about 120 bytes; anything far larger is not one. */
const MAX_KEY_FILE_BYTES = 16 * 1024;

/**
 * Loads the key at `path`, or makes one there (mode 0600, created exclusively, so two agents
 * starting at once end up with the same key). Throws ObserveError `checkpoint_key` naming the
 * path and what is wrong; the key itself is never logged.
 */
export function loadOrCreateCheckpointKey(path: string, logger: Logger): CheckpointKey {
  const existing = readKeyFile(path);
  if (existing !== undefined) return fromPem(existing, path, logger);
  const generated = generateSigningKey();
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const bytes = Buffer.from(generated.privateKeyPem);
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Another process made it between our read and our create: use theirs.
    if (code === 'EEXIST') return fromPem(readKeyFile(path) ?? '', path, logger);
    throw new ObserveError('checkpoint_key', `cannot create the audit checkpoint key ${path} (${code ?? toError(error).message})`, { cause: error });
  }
  logger.info({ path, keyId: generated.fingerprint }, 'audit checkpoint key created');
  return fromPem(generated.privateKeyPem, path, logger);
}

function fromPem(pem: string, path: string, logger: Logger): CheckpointKey {
  let privateKey: KeyObject;
  try {
    privateKey = readPrivateKey(pem, path);
  } catch (error) {
    throw new ObserveError('checkpoint_key', `audit checkpoint key ${path}: ${toError(error).message}`, { cause: error });
  }
  const publicKey = createPublicKey(privateKey);
  const keyId = fingerprintOf(publicKey);
  const jwk = publicKey.export({ format: 'jwk' });
  logger.debug({ path, keyId }, 'audit checkpoint key loaded');
  return { privateKey, publicKey: Buffer.from(jwk.x ?? '', 'base64url').toString('base64'), keyId };
}

/**
 * The file's text, or undefined when there is none. Read bounded and without blocking, and not
 * through a symlink: a FIFO, a device or a link put there cannot hang the agent or swap the key.
 */
function readKeyFile(path: string): string | undefined {
  const read = readBoundedFile(path, MAX_KEY_FILE_BYTES, { noFollow: true });
  if (!read.ok) {
    if (read.reason === 'ENOENT') return undefined;
    const what = read.problem === 'not_regular' ? 'is not a regular file' : `cannot be read (${read.reason})`;
    throw new ObserveError('checkpoint_key', `audit checkpoint key ${path} ${what}`);
  }
  if ((read.mode & 0o077) !== 0) {
    throw new ObserveError('checkpoint_key', `audit checkpoint key ${path} is readable by others (mode ${read.mode.toString(8)}); chmod 600 it`);
  }
  return read.bytes.toString('utf8');
}
