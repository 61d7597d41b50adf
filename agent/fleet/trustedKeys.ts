import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { formatIssues } from '../../pipelines/config/formatIssues.js';
import { ConfigError, toError } from '../../pipelines/errors.js';
import { readBoundedFile } from '../config/readBoundedFile.js';
import { keyIdSchema, readPublicKey } from './signing.js';

/**
 * The keys allowed to sign config pushes: `{keys: [{keyId, publicKey, notAfter?}]}`. `publicKey`
 * is PEM (SPKI) or the 32 raw Ed25519 bytes in base64; after `notAfter` (UTC) a key signs nothing.
 */

export const trustedKeysSchema = z.strictObject({
  keys: z.array(
    z.strictObject({
      keyId: keyIdSchema,
      publicKey: z.string().min(1),
      notAfter: z.iso.datetime({ offset: false }).optional(),
    }),
  ),
});

export type TrustedKeysFile = z.output<typeof trustedKeysSchema>;

export interface TrustedKey {
  readonly keyId: string;
  readonly key: KeyObject;
  /** epoch ms; undefined: no end */
  readonly notAfter: number | undefined;
}

/** Parses and checks a trusted-keys document; throws ConfigError `trusted_keys_invalid` naming the entry. */
export function parseTrustedKeys(text: string, source: string): Map<string, TrustedKey> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the fault, which may be a key id.
    throw new ConfigError('trusted_keys_invalid', `${source}: not JSON`);
  }
  const result = trustedKeysSchema.safeParse(document);
  if (!result.success) {
    throw new ConfigError('trusted_keys_invalid', `${source}: ${formatIssues(result.error.issues, document).join('; ')}`);
  }
  const keys = new Map<string, TrustedKey>();
  const firstIndex = new Map<string, number>();
  result.data.keys.forEach((entry, index) => {
    // By position, not by name: this text can reach the answer to an unsigned push, which must
    // not learn the site's key ids.
    const earlier = firstIndex.get(entry.keyId);
    if (earlier !== undefined) throw new ConfigError('trusted_keys_invalid', `${source}: keys[${index}].keyId: the same key id as keys[${earlier}]`);
    firstIndex.set(entry.keyId, index);
    let key: KeyObject;
    try {
      key = readPublicKey(entry.publicKey);
    } catch (error) {
      throw new ConfigError('trusted_keys_invalid', `${source}: keys[${index}].publicKey: ${toError(error).message}`);
    }
    keys.set(entry.keyId, { keyId: entry.keyId, key, notAfter: entry.notAfter === undefined ? undefined : Date.parse(entry.notAfter) });
  });
  return keys;
}

/** A trusted-keys file holds a few dozen keys; anything much larger is not one. */
export const MAX_TRUSTED_KEYS_FILE_BYTES = 256 * 1024;

/**
 * Read on every push, so adding or removing a key takes effect without a restart. Read bounded
 * and non-blocking: a FIFO or device put in its place must not hold the event loop.
 */
export function loadTrustedKeys(path: string): Map<string, TrustedKey> {
  const read = readBoundedFile(path, MAX_TRUSTED_KEYS_FILE_BYTES);
  if (!read.ok) throw new ConfigError('trusted_keys_unreadable', `cannot read trusted keys file ${path} (${read.reason})`);
  return parseTrustedKeys(read.bytes.toString('utf8'), path);
}
