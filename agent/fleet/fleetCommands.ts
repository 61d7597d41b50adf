import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, toError } from '../../pipelines/errors.js';
import { checkSiteConfigText } from '../config/checkSiteConfig.js';
import { sha256Hex } from '../sha256Hex.js';
import { generateSigningKey, keyIdSchema, parseEnvelope, readPrivateKey, signEnvelope, verifyEnvelopeSignature, type ConfigEnvelope } from './signing.js';
import { writeFileAtomic } from './FleetStateStore.js';
import { resolveSigningKeyId, TRUSTED_KEYS_FILE } from './signingKeyId.js';
import { loadTrustedKeys, parseTrustedKeys, type TrustedKeysFile } from './trustedKeys.js';

/** `c5-agent keys generate`, `c5-agent config sign` and the envelope side of `config validate`. */

export const DEFAULT_EXPIRES_IN = '24h';

export interface GeneratedKey {
  readonly keyId: string;
  /** the 32 raw public key bytes, base64, as the trusted-keys file holds them */
  readonly publicKey: string;
  readonly privateKeyPath: string;
  readonly trustedKeysPath: string;
}

/**
 * Writes `DIR/<keyId>.key.pem` (PKCS#8, mode 0600, never overwritten) and adds the public key to
 * `DIR/trusted-keys.json`, creating it or keeping the keys already there (rotation: the new key
 * joins the old one until the old one is removed by hand).
 */
export async function generateKeys(options: { out: string; keyId?: string }): Promise<GeneratedKey> {
  const pair = generateSigningKey();
  const keyId = options.keyId ?? pair.fingerprint;
  const checked = keyIdSchema.safeParse(keyId);
  if (!checked.success) throw new ConfigError('usage', `--key-id "${keyId}": ${checked.error.issues[0]?.message ?? 'invalid'}`);

  mkdirSync(options.out, { recursive: true, mode: 0o700 });
  const trustedKeysPath = join(options.out, TRUSTED_KEYS_FILE);
  const trusted: TrustedKeysFile = existsSync(trustedKeysPath) ? readTrustedKeysDocument(trustedKeysPath) : { keys: [] };
  if (trusted.keys.some((entry) => entry.keyId === keyId)) {
    throw new ConfigError('key_exists', `${trustedKeysPath} already trusts a key "${keyId}"; pick another --key-id`);
  }
  const privateKeyPath = join(options.out, `${keyId}.key.pem`);
  try {
    writeFileSync(privateKeyPath, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new ConfigError('key_exists', `${privateKeyPath} exists; a signing key is never overwritten`);
    throw new ConfigError('key_unwritable', `cannot write ${privateKeyPath} (${code ?? toError(error).message})`);
  }
  // The umask may only narrow the mode; this makes it exactly owner read/write.
  chmodSync(privateKeyPath, 0o600);
  trusted.keys.push({ keyId, publicKey: pair.publicKey });
  await writeFileAtomic(trustedKeysPath, `${JSON.stringify(trusted, null, 2)}\n`);
  return { keyId, publicKey: pair.publicKey, privateKeyPath, trustedKeysPath };
}

function readTrustedKeysDocument(path: string): TrustedKeysFile {
  const text = readFileSync(path, 'utf8');
  parseTrustedKeys(text, path);
  return JSON.parse(text) as TrustedKeysFile;
}

/** `90s`, `30m`, `24h`, `7d` → milliseconds; `none` → undefined (the push never expires). */
export function parseExpiresIn(text: string): number | undefined {
  if (text === 'none') return undefined;
  const match = /^(\d{1,6})([smhd])$/.exec(text);
  if (!match) throw new ConfigError('usage', `--expires-in "${text}": expected a number and s, m, h or d (e.g. 24h), or none`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

export interface SignedConfig {
  readonly envelope: ConfigEnvelope;
  /** for stderr: set when the key id could not be checked against a trusted-keys file */
  readonly warning?: string;
}

/**
 * Signs a site config file's exact bytes. The config is validated first (schema only: its
 * `env:`/`file:` references belong to the site, not to the signing machine), and must keep a
 * `fleet` section, as the agent requires of every push. The key id is checked against the
 * trusted-keys file (`resolveSigningKeyId`), so the boxes will accept what is signed.
 */
export async function signConfigFile(options: {
  configPath: string;
  keyPath: string;
  keyId?: string;
  trusted?: string;
  expiresIn?: string;
  now: number;
}): Promise<SignedConfig> {
  const payload = readBytes(options.configPath, 'site config');
  await checkPushableConfig(payload, options.configPath);
  const privateKey = readPrivateKey(readBytes(options.keyPath, 'signing key').toString('utf8'), options.keyPath);
  const lifetime = parseExpiresIn(options.expiresIn ?? DEFAULT_EXPIRES_IN);
  const { keyId, warning } = resolveSigningKeyId({ privateKey, keyPath: options.keyPath, keyId: options.keyId, trusted: options.trusted, now: options.now });
  const envelope = signEnvelope({
    payload,
    privateKey,
    keyId,
    ...(lifetime === undefined ? {} : { expiresAt: new Date(options.now + lifetime) }),
  });
  return warning === undefined ? { envelope } : { envelope, warning };
}

/** What `config validate` checks, secrets aside, plus the fleet section every push must keep. */
async function checkPushableConfig(bytes: Buffer, source: string): Promise<void> {
  const { config } = await checkSiteConfigText(configTextOf(bytes, source), source, {}, { secrets: false });
  if (!config.fleet) {
    throw new ConfigError('config_invalid', `${source}: fleet: a pushed config must keep the fleet section, or the site could take no further pushes`);
  }
}

/** A pushed config is decoded as the agent decodes it (parseConfigBytes): strict UTF-8, or refused. */
export function configTextOf(bytes: Buffer, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new ConfigError('config_syntax', `${source}: not UTF-8 text`);
  }
}

export interface OpenedEnvelope {
  /** `envelope from key K, signature verified, expires T`, for the line `config validate` prints */
  readonly summary: string;
  /** the signed config, decoded as the agent decodes it */
  readonly payloadText: string;
  /** sha256 of the payload bytes, as the agent reports it */
  readonly sha256: string;
}

/** An envelope's signature (when a trusted-keys file is given) and its payload; throws ConfigError naming what is wrong. */
export function openEnvelopeFile(options: { path: string; bytes: Buffer; trustedKeysFile?: string; now: number }): OpenedEnvelope {
  const envelope = parseEnvelope(options.bytes);
  let signature = 'signature not checked (pass --trusted FILE)';
  if (options.trustedKeysFile) {
    const trusted = loadTrustedKeys(options.trustedKeysFile).get(envelope.keyId);
    if (!trusted) throw new ConfigError('unknown_key', `key id "${envelope.keyId}" is not in ${options.trustedKeysFile}`);
    if (!verifyEnvelopeSignature(envelope, trusted.key)) throw new ConfigError('bad_signature', `signature does not verify with key "${envelope.keyId}"`);
    signature = 'signature verified';
  }
  const payload = Buffer.from(envelope.payload, 'base64');
  const expiry =
    envelope.expiresAt === undefined ? 'never expires' : `${options.now > Date.parse(envelope.expiresAt) ? 'EXPIRED' : 'expires'} ${envelope.expiresAt}`;
  return {
    summary: `envelope from key ${envelope.keyId}, ${signature}, ${expiry}`,
    payloadText: configTextOf(payload, `${options.path} (payload)`),
    sha256: sha256Hex(payload),
  };
}

/** An envelope is a JSON object with `payload` and `sig`; anything else is read as a site config. */
export function looksLikeEnvelope(bytes: Buffer): boolean {
  try {
    const document = JSON.parse(bytes.toString('utf8')) as unknown;
    return typeof document === 'object' && document !== null && 'payload' in document && 'sig' in document;
  } catch {
    // YAML, or broken JSON: the site config loader reports it
    return false;
  }
}

function readBytes(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? toError(error).message;
    throw new ConfigError('unreadable', `cannot read ${what} ${path} (${reason})`);
  }
}
