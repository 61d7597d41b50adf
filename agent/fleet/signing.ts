import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { formatIssues } from '../../pipelines/config/siteConfig.js';
import { ConfigError } from '../../pipelines/errors.js';

/**
 * The signed config envelope: `{payload, keyId, expiresAt?, sig}`. `payload` is the exact bytes
 * of the config file, base64; nothing is ever re-serialised, so the agent hashes and parses the
 * very bytes the operator signed. `sig` is Ed25519 over a short header that binds the key id and
 * the expiry, followed by those bytes (see `signingInput`); the expiry therefore cannot be moved
 * without the key, and the config file itself carries nothing push-specific.
 */

const SIGNING_CONTEXT = 'c5-config-envelope-v1';
const ED25519_SIGNATURE_BYTES = 64;
const ED25519_PUBLIC_KEY_BYTES = 32;

const base64 = z
  .string()
  .min(1)
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'expected standard base64');

export const keyIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'expected a key id of letters, digits, ".", "_", ":" or "-" (1-128 chars)');

export const envelopeSchema = z.strictObject({
  payload: base64,
  keyId: keyIdSchema,
  /** the push is refused after this instant (UTC); absent: it never expires */
  expiresAt: z.iso.datetime({ offset: false }).optional(),
  sig: base64,
});

export type ConfigEnvelope = z.output<typeof envelopeSchema>;

/** The bytes Ed25519 signs: a header line per bound field, then the payload bytes unchanged. */
export function signingInput(keyId: string, expiresAt: string | undefined, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${SIGNING_CONTEXT}\n${keyId}\n${expiresAt ?? ''}\n`, 'utf8'), payload]);
}

export function signEnvelope(options: { payload: Buffer; privateKey: KeyObject; keyId: string; expiresAt?: Date }): ConfigEnvelope {
  const expiresAt = options.expiresAt?.toISOString();
  const sig = sign(null, signingInput(options.keyId, expiresAt, options.payload), options.privateKey);
  return {
    payload: options.payload.toString('base64'),
    keyId: options.keyId,
    ...(expiresAt === undefined ? {} : { expiresAt }),
    sig: sig.toString('base64'),
  };
}

/** Reads an envelope's JSON; throws ConfigError `malformed_envelope` naming what is wrong. */
export function parseEnvelope(bytes: Buffer): ConfigEnvelope {
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ConfigError('malformed_envelope', `not a JSON envelope: ${(error as Error).message}`);
  }
  const result = envelopeSchema.safeParse(document);
  if (!result.success) {
    throw new ConfigError('malformed_envelope', `not a config envelope: ${formatIssues(result.error.issues, document).join('; ')}`);
  }
  return result.data;
}

export function verifyEnvelopeSignature(envelope: ConfigEnvelope, publicKey: KeyObject): boolean {
  const sig = Buffer.from(envelope.sig, 'base64');
  if (sig.length !== ED25519_SIGNATURE_BYTES) return false;
  return verify(null, signingInput(envelope.keyId, envelope.expiresAt, Buffer.from(envelope.payload, 'base64')), publicKey, sig);
}

export interface SigningKeyPair {
  readonly privateKeyPem: string;
  /** the 32 raw public key bytes, base64: the trusted-keys file's `publicKey` */
  readonly publicKey: string;
  /** `ed25519-` and the first 16 hex digits of the public key's sha256 */
  readonly fingerprint: string;
}

export function generateSigningKey(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: rawPublicKey(publicKey).toString('base64'),
    fingerprint: fingerprintOf(publicKey),
  };
}

/** The default key id: stable for a key, so `keys generate` and `config sign` agree without flags. */
export function fingerprintOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return `ed25519-${createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, 16)}`;
}

export function readPrivateKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new ConfigError('bad_signing_key', `${source}: not a PEM private key (${(error as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError('bad_signing_key', `${source}: an ${key.asymmetricKeyType ?? 'unknown'} key; config signing keys are Ed25519`);
  }
  return key;
}

/** A trusted public key: PEM (SPKI) or the 32 raw bytes in base64. Throws with the reason. */
export function readPublicKey(text: string): KeyObject {
  const key = text.trimStart().startsWith('-----BEGIN')
    ? createPublicKey(text)
    : createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: rawKeyBytes(text).toString('base64url') }, format: 'jwk' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  return key;
}

function rawKeyBytes(text: string): Buffer {
  const bytes = Buffer.from(text.trim(), 'base64');
  if (bytes.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new Error(`expected PEM or ${ED25519_PUBLIC_KEY_BYTES} raw bytes in base64, got ${bytes.length} bytes`);
  }
  return bytes;
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.from(jwk.x ?? '', 'base64url');
}
