import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseSiteConfig } from '../../pipelines/config/siteConfig.js';
import { ConfigError, toError } from '../../pipelines/errors.js';
import { parseConfigBytes } from './parseConfigBytes.js';
import {
  fingerprintOf,
  generateSigningKey,
  keyIdSchema,
  parseEnvelope,
  readPrivateKey,
  signEnvelope,
  verifyEnvelopeSignature,
  type ConfigEnvelope,
} from './signing.js';
import { writeFileAtomic } from './FleetStateStore.js';
import { loadTrustedKeys, parseTrustedKeys, type TrustedKeysFile } from './trustedKeys.js';

/** `c5-agent keys generate`, `c5-agent config sign` and the envelope side of `config validate`. */

export const TRUSTED_KEYS_FILE = 'trusted-keys.json';
export const DEFAULT_EXPIRES_IN = '24h';

export interface GeneratedKey {
  readonly keyId: string;
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
  return { keyId, privateKeyPath, trustedKeysPath };
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

/**
 * Signs a site config file's exact bytes. The config is validated first (schema only: its
 * `env:`/`file:` references belong to the site, not to the signing machine), and must keep a
 * `fleet` section, as the agent requires of every push.
 */
export function signConfigFile(options: { configPath: string; keyPath: string; keyId?: string; expiresIn?: string; now: number }): ConfigEnvelope {
  const payload = readBytes(options.configPath, 'site config');
  checkConfigDocument(payload, options.configPath);
  const privateKey = readPrivateKey(readBytes(options.keyPath, 'signing key').toString('utf8'), options.keyPath);
  const lifetime = parseExpiresIn(options.expiresIn ?? DEFAULT_EXPIRES_IN);
  return signEnvelope({
    payload,
    privateKey,
    keyId: options.keyId ?? fingerprintOf(privateKey),
    ...(lifetime === undefined ? {} : { expiresAt: new Date(options.now + lifetime) }),
  });
}

function checkConfigDocument(bytes: Buffer, source: string): void {
  let document: unknown;
  try {
    document = parseYaml(bytes.toString('utf8'));
  } catch (error) {
    throw new ConfigError('config_syntax', `${source}: not valid YAML or JSON: ${toError(error).message}`);
  }
  const result = parseSiteConfig(document);
  if (!result.ok) throw new ConfigError('config_invalid', `${source}: invalid site config:\n  ${result.errors.join('\n  ')}`);
  if (!result.config.fleet) {
    throw new ConfigError('config_invalid', `${source}: fleet: a pushed config must keep the fleet section, or the site could take no further pushes`);
  }
}

/** The line `config validate` prints for an envelope; throws ConfigError naming what is wrong. */
export function validateEnvelopeFile(options: { path: string; bytes: Buffer; trustedKeysFile?: string; env: NodeJS.ProcessEnv; now: number }): string {
  const envelope = parseEnvelope(options.bytes);
  let signature = 'signature not checked (pass --trusted FILE)';
  if (options.trustedKeysFile) {
    const trusted = loadTrustedKeys(options.trustedKeysFile).get(envelope.keyId);
    if (!trusted) throw new ConfigError('unknown_key', `key id "${envelope.keyId}" is not in ${options.trustedKeysFile}`);
    if (!verifyEnvelopeSignature(envelope, trusted.key)) throw new ConfigError('bad_signature', `signature does not verify with key "${envelope.keyId}"`);
    signature = 'signature verified';
  }
  const { config, sha256 } = parseConfigBytes(Buffer.from(envelope.payload, 'base64'), `${options.path} (payload)`, options.env);
  const expiry =
    envelope.expiresAt === undefined ? 'never expires' : `${options.now > Date.parse(envelope.expiresAt) ? 'EXPIRED' : 'expires'} ${envelope.expiresAt}`;
  return `ok: ${options.path}: envelope from key ${envelope.keyId}, ${signature}, ${expiry}; site ${config.site.id}, version ${config.version}, ${config.cameras.length} camera(s), sha256 ${sha256}`;
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
