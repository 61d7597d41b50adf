import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../pipelines/errors.js';
import { fingerprintOf, keyIdSchema } from './signing.js';
import { loadTrustedKeys, type TrustedKey } from './trustedKeys.js';

/** The file `keys generate` writes beside each private key; `config sign` looks for it there. */
export const TRUSTED_KEYS_FILE = 'trusted-keys.json';

export interface SigningKeyId {
  readonly keyId: string;
  /** the trusted-keys file the id was checked against; undefined: none found (see `warning`) */
  readonly trustedKeysFile: string | undefined;
  /** set when nothing could be checked: the push may be refused by every box */
  readonly warning?: string;
}

/**
 * The key id to sign under, checked against the trusted-keys file the boxes use, so a push is
 * never signed under an id every box would refuse. The file is `trusted` when given, else the
 * `trusted-keys.json` beside the key (where `keys generate` put both). Without `keyId` the id is
 * the one that file gives this key's public half (a key made as `centre-2026a` signs as that); a
 * `keyId` the file lacks, one with another public key there, or one past its `notAfter` is
 * refused (ConfigError `signing_key_untrusted`, exit 1: a check of the operator's files failed,
 * the command line itself is well-formed). With no file to check against, the id is `keyId` or
 * the key's fingerprint, with a warning.
 */
export function resolveSigningKeyId(options: { privateKey: KeyObject; keyPath: string; keyId?: string; trusted?: string; now: number }): SigningKeyId {
  if (options.keyId !== undefined) {
    const checked = keyIdSchema.safeParse(options.keyId);
    if (!checked.success) throw new ConfigError('usage', `--key-id: ${checked.error.issues[0]?.message ?? 'invalid'}`);
  }
  const beside = join(dirname(options.keyPath), TRUSTED_KEYS_FILE);
  const path = options.trusted ?? (existsSync(beside) ? beside : undefined);
  if (path === undefined) {
    const keyId = options.keyId ?? fingerprintOf(options.privateKey);
    return {
      keyId,
      trustedKeysFile: undefined,
      warning:
        `warning: key id "${keyId}" was not checked: no --trusted file was given and there is no ${beside}. ` +
        `Every box will refuse this push unless its trusted-keys file has "${keyId}" with this key's public half ` +
        `(\`c5-agent keys generate\` prints that entry).`,
    };
  }
  const trusted = loadTrustedKeys(path);
  const publicKey = createPublicKey(options.privateKey);
  const idsOfThisKey = [...trusted.values()].filter((entry) => entry.key.equals(publicKey)).map((entry) => entry.keyId);
  const keyId = options.keyId ?? onlyIdOf(idsOfThisKey, options.keyPath, path);
  const entry = trusted.get(keyId);
  if (entry === undefined) {
    throw untrusted(`--key-id "${keyId}" is not in ${path}, so boxes trusting that file would refuse the push${alsoKnownAs(idsOfThisKey)}`);
  }
  if (!entry.key.equals(publicKey)) {
    throw untrusted(
      `${path} trusts another public key as "${keyId}" than the one of ${options.keyPath}; boxes would refuse the signature${alsoKnownAs(idsOfThisKey)}`,
    );
  }
  checkNotExpired(entry, path, options.now);
  return { keyId, trustedKeysFile: path };
}

function onlyIdOf(ids: readonly string[], keyPath: string, path: string): string {
  if (ids.length === 1) return ids[0]!;
  if (ids.length === 0) {
    throw untrusted(
      `the public key of ${keyPath} is not in ${path}, so boxes trusting that file would refuse the push; ` +
        `add it there (\`c5-agent keys generate\` prints the entry) or name the boxes' file with --trusted`,
    );
  }
  throw new ConfigError('usage', `${path} trusts the key of ${keyPath} under several ids (${ids.join(', ')}); choose one with --key-id`);
}

function checkNotExpired(entry: TrustedKey, path: string, now: number): void {
  if (entry.notAfter !== undefined && now > entry.notAfter) {
    throw untrusted(`key "${entry.keyId}" is past its notAfter (${new Date(entry.notAfter).toISOString()}) in ${path}; boxes would refuse the push`);
  }
}

function alsoKnownAs(ids: readonly string[]): string {
  return ids.length === 0 ? '' : `; this key is trusted there as ${ids.map((id) => `"${id}"`).join(', ')}`;
}

function untrusted(message: string): ConfigError {
  return new ConfigError('signing_key_untrusted', message);
}
