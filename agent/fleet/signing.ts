import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { envelopeSchema, type ConfigEnvelope } from '../../pipelines/wire/configEnvelope.js';
import { formatIssues } from '../../pipelines/config/formatIssues.js';
import { ConfigError } from '../../pipelines/errors.js';
import { quoteUntrusted, UNTRUSTED_ECHO_CHARS } from '../../pipelines/untrustedText.js';
import { sha256Hex } from '../sha256Hex.js';

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

// The envelope's shape is part of the wire contract (pipelines/wire/); re-exported for the agent's fleet code.
export { envelopeSchema, keyIdSchema, type ConfigEnvelope } from '../../pipelines/wire/configEnvelope.js';

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

/**
 * Reads an envelope's JSON; throws ConfigError `malformed_envelope` naming what is wrong. The
 * bytes are unverified: the message echoes at most a short quoted prefix of them, and the work is
 * linear in their size (JSON.parse, then anchored linear-time patterns).
 */
export function parseEnvelope(bytes: Buffer): ConfigEnvelope {
  const shape = flatObjectProblem(bytes);
  if (shape === 'not_an_object') throw notJson(bytes);
  if (shape) throw new ConfigError('malformed_envelope', `not a config envelope: ${shape}`);
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw notJson(bytes);
  }
  const result = envelopeSchema.safeParse(document);
  if (!result.success) {
    throw new ConfigError('malformed_envelope', `not a config envelope: ${formatIssues(result.error.issues, document).join('; ')}`);
  }
  return result.data;
}

/** JSON.parse's own message quotes the input; this says how it starts instead. */
function notJson(bytes: Buffer): ConfigError {
  // A UTF-8 character is at most 4 bytes, so this many bytes hold the prefix quoteUntrusted shows.
  const start = bytes
    .subarray(0, 4 * UNTRUSTED_ECHO_CHARS)
    .toString('utf8')
    .slice(0, UNTRUSTED_ECHO_CHARS);
  return new ConfigError('malformed_envelope', `not a JSON envelope (${bytes.length} bytes); it starts ${quoteUntrusted(start)}`);
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const COMMA = 0x2c;
const JSON_WHITESPACE = new Set([0x20, 0x0a, 0x0d, 0x09]);
/** payload, keyId, expiresAt, sig */
const MAX_ENVELOPE_MEMBERS = 4;

/**
 * A valid envelope is one flat object of at most four strings, none of which may hold a brace, a
 * bracket or a comma (base64, a key id, an ISO instant). Anything else is refused here with a few
 * native byte scans, before JSON.parse spends half a second building a megabyte of nested arrays
 * or a hundred thousand keys that the schema would refuse anyway.
 */
function flatObjectProblem(bytes: Buffer): string | 'not_an_object' | undefined {
  let first = 0;
  while (first < bytes.length && JSON_WHITESPACE.has(bytes[first]!)) first += 1;
  if (bytes[first] !== OPEN_BRACE) return 'not_an_object';
  if (bytes.indexOf(OPEN_BRACE, first + 1) !== -1) return 'nested objects (an envelope is one flat JSON object)';
  if (bytes.indexOf(OPEN_BRACKET) !== -1) return 'an array (an envelope is one flat JSON object of strings)';
  let comma = -1;
  for (let members = 1; members <= MAX_ENVELOPE_MEMBERS; members += 1) {
    comma = bytes.indexOf(COMMA, comma + 1);
    if (comma === -1) return undefined;
  }
  return `more than ${MAX_ENVELOPE_MEMBERS} members (an envelope has payload, keyId, expiresAt and sig)`;
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
  return `ed25519-${sha256Hex(rawPublicKey(publicKey)).slice(0, 16)}`;
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
