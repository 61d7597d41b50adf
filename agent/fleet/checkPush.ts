import { AgentError, toError } from '../../pipelines/errors.js';
import type { ModelLabels } from '../../pipelines/config/labelIssues.js';
import { labelError } from '../config/checkSiteConfig.js';
import type { LoadedSiteConfig } from '../config/loadSiteConfig.js';
import { redactUrlsInText } from '../observe/logger.js';
import { sha256Hex } from '../sha256Hex.js';
import { parseConfigBytes } from './parseConfigBytes.js';
import { quoteUntrusted } from '../../pipelines/untrustedText.js';
import { parseEnvelope, verifyEnvelopeSignature, type ConfigEnvelope } from './signing.js';
import type { TrustedKey } from './trustedKeys.js';

/**
 * The checks a config push must pass, in this order (README, "Fleet guide", "Checks"):
 * size, envelope, signature against the trusted keys **before** the payload is parsed
 * (verifyPush), then parse, schema, site id, version above the persisted high-water mark, expiry
 * (checkVerifiedPush).
 * Nothing here changes any state; the first failing check decides the reason.
 *
 * Until the signature holds, the bytes are anyone's: verifyPush does work linear in their size,
 * its messages echo at most a short quoted prefix of what the sender chose, and they never name
 * the site's trusted key ids (not even the one the sender claimed, when it is trusted).
 */

/** Refused before a signature held: anyone can cause these, so they are rate-limited, never retained. */
export const UNVERIFIED_REASONS = [
  'too_large',
  'malformed_envelope',
  'trusted_keys_unreadable',
  'trusted_keys_invalid',
  'unknown_key',
  'key_expired',
  'bad_signature',
] as const;

export const REJECT_REASONS = [
  ...UNVERIFIED_REASONS,
  'config_syntax',
  'config_invalid',
  'secret_unresolved',
  'wrong_site',
  'stale_version',
  'expired',
  /** a newer push arrived while this one waited for the previous one to finish */
  'superseded',
  /** the version high-water mark could not be persisted, so replay protection would not survive a restart */
  'state_unwritable',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type UnverifiedReason = (typeof UNVERIFIED_REASONS)[number];

export function isUnverifiedReason(reason: RejectReason): reason is UnverifiedReason {
  return (UNVERIFIED_REASONS as readonly RejectReason[]).includes(reason);
}

export interface PushChecks {
  readonly maxBytes: number;
  /** the trusted keys as they are now; throws AgentError `trusted_keys_*` when they cannot be read */
  readonly trustedKeys: () => ReadonlyMap<string, TrustedKey>;
  readonly siteId: string;
  /** the highest version ever accepted or run; a push must be above it */
  readonly highWaterMark: number;
  /** epoch ms */
  readonly now: number;
  readonly env: NodeJS.ProcessEnv;
  /** names the push in error messages: `mqtt push`, `drop folder site-v9.json` */
  readonly source: string;
  /** each registry model's labels (loadModelLabels): a config naming a label its model lacks is refused; absent: not checked */
  readonly modelLabels?: ReadonlyMap<string, ModelLabels>;
}

export type SignatureChecks = Pick<PushChecks, 'maxBytes' | 'trustedKeys' | 'now'>;
export type ContentChecks = Pick<PushChecks, 'siteId' | 'highWaterMark' | 'now' | 'env' | 'source' | 'modelLabels'>;

/** An envelope whose signature holds with a key the site trusts now; its payload is not parsed yet. */
export interface VerifiedEnvelope {
  readonly ok: true;
  readonly keyId: string;
  readonly expiresAt: string | undefined;
  /** the exact config bytes that were signed */
  readonly payload: Buffer;
}

export interface UnverifiedRejection {
  readonly ok: false;
  readonly reason: UnverifiedReason;
  /** short whatever the input: at most a quoted prefix of what the sender chose, no key ids */
  readonly message: string;
}

export interface AcceptedPush {
  readonly ok: true;
  readonly loaded: LoadedSiteConfig;
  readonly keyId: string;
  readonly expiresAt: string | undefined;
  /** the exact config bytes that were signed; persisted as the last-known-good once applied */
  readonly payload: Buffer;
}

export interface RejectedPush {
  readonly ok: false;
  readonly reason: RejectReason;
  /** credentials in URLs already redacted */
  readonly message: string;
  /** known once the signature held */
  readonly keyId?: string;
  /** known once the payload parsed */
  readonly version?: number;
  /** known once the signature held */
  readonly sha256?: string;
}

export type PushVerdict = AcceptedPush | RejectedPush;

/** Both stages at once: what `config validate` and the tests ask. */
export function checkPush(bytes: Buffer, checks: PushChecks): PushVerdict {
  const verified = verifyPush(bytes, checks);
  return verified.ok ? checkVerifiedPush(verified, checks) : verified;
}

/**
 * Size first, before any parsing; then the envelope's shape; then the signature with the key it
 * names. Cheap and synchronous, so a push is refused on arrival, before it can take a place in
 * the queue.
 */
export function verifyPush(bytes: Buffer, checks: SignatureChecks): VerifiedEnvelope | UnverifiedRejection {
  if (bytes.length > checks.maxBytes) {
    return unverified('too_large', `${bytes.length} bytes is more than fleet.maxPushBytes (${checks.maxBytes})`);
  }
  let envelope: ConfigEnvelope;
  try {
    envelope = parseEnvelope(bytes);
  } catch (error) {
    return unverified('malformed_envelope', toError(error).message);
  }
  let keys: ReadonlyMap<string, TrustedKey>;
  try {
    keys = checks.trustedKeys();
  } catch (error) {
    const reason = error instanceof AgentError && error.code === 'trusted_keys_invalid' ? 'trusted_keys_invalid' : 'trusted_keys_unreadable';
    return unverified(reason, `this site's trusted keys cannot be used: ${toError(error).message}`);
  }
  const trusted = keys.get(envelope.keyId);
  if (!trusted) {
    return unverified('unknown_key', `key id ${quoteUntrusted(envelope.keyId)} not trusted by this site`);
  }
  // From here the key id is one the site trusts: the messages no longer repeat it.
  if (trusted.notAfter !== undefined && checks.now > trusted.notAfter) {
    return unverified('key_expired', 'the key the push names is no longer trusted by this site (past its notAfter)');
  }
  if (!verifyEnvelopeSignature(envelope, trusted.key)) {
    return unverified('bad_signature', 'signature does not verify with the key the push names (payload, key id or expiry altered, or signed by another key)');
  }
  return { ok: true, keyId: envelope.keyId, expiresAt: envelope.expiresAt, payload: Buffer.from(envelope.payload, 'base64') };
}

/** The signed payload: parse, schema, site, version above the high-water mark, expiry. */
export function checkVerifiedPush(verified: VerifiedEnvelope, checks: ContentChecks): PushVerdict {
  const { keyId, payload, expiresAt } = verified;
  const sha256 = sha256Hex(payload);
  let loaded: LoadedSiteConfig;
  try {
    loaded = parseConfigBytes(payload, checks.source, checks.env, sha256);
  } catch (error) {
    const code = error instanceof AgentError ? error.code : 'config_invalid';
    const reason: RejectReason = code === 'config_syntax' || code === 'secret_unresolved' ? code : 'config_invalid';
    return reject(reason, toError(error).message, { keyId, sha256 });
  }
  const { config } = loaded;
  const facts = { keyId, sha256, version: config.version };
  if (!config.fleet) {
    return reject('config_invalid', `${checks.source}: fleet: a pushed config must keep the fleet section, or the site could take no further pushes`, facts);
  }
  if (config.site.id !== checks.siteId) {
    return reject('wrong_site', `config is for site "${config.site.id}"; this is site "${checks.siteId}"`, facts);
  }
  if (config.version <= checks.highWaterMark) {
    return reject('stale_version', `version ${config.version} is not above ${checks.highWaterMark}, the highest version this site has accepted`, facts);
  }
  if (expiresAt !== undefined && checks.now > Date.parse(expiresAt)) {
    return reject('expired', `the push expired at ${expiresAt}`, facts);
  }
  // A rule on a label its model cannot output would never fire: refused like any invalid config.
  const badLabels = checks.modelLabels && labelError(config, checks.source, checks.modelLabels);
  if (badLabels) return reject('config_invalid', badLabels.message, facts);
  return { ok: true, loaded, keyId, expiresAt, payload };
}

function unverified(reason: UnverifiedReason, message: string): UnverifiedRejection {
  return { ok: false, reason, message: redactUrlsInText(message) };
}

function reject(reason: RejectReason, message: string, facts: Omit<RejectedPush, 'ok' | 'reason' | 'message'> = {}): RejectedPush {
  return { ok: false, reason, message: redactUrlsInText(message), ...facts };
}
