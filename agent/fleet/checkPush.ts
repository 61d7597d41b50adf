import { AgentError, toError } from '../../pipelines/errors.js';
import type { LoadedSiteConfig } from '../config/loadSiteConfig.js';
import { redactUrlsInText } from '../observe/logger.js';
import { parseConfigBytes, sha256Hex } from './parseConfigBytes.js';
import { parseEnvelope, verifyEnvelopeSignature, type ConfigEnvelope } from './signing.js';
import type { TrustedKey } from './trustedKeys.js';

/**
 * The checks a config push must pass, in this order (DESIGN.md, "Configuration"): size, envelope,
 * signature against the trusted keys **before** the payload is parsed, then parse, schema, site
 * id, version above the persisted high-water mark, expiry. Nothing here changes any state; the
 * first failing check decides the reason.
 */

export const REJECT_REASONS = [
  'too_large',
  'malformed_envelope',
  'trusted_keys_unreadable',
  'trusted_keys_invalid',
  'unknown_key',
  'key_expired',
  'bad_signature',
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
  readonly keyId?: string;
  /** known once the payload parsed */
  readonly version?: number;
  /** known once the signature held */
  readonly sha256?: string;
}

export type PushVerdict = AcceptedPush | RejectedPush;

export function checkPush(bytes: Buffer, checks: PushChecks): PushVerdict {
  if (bytes.length > checks.maxBytes) {
    return reject('too_large', `${bytes.length} bytes is more than fleet.maxPushBytes (${checks.maxBytes})`);
  }
  let envelope: ConfigEnvelope;
  try {
    envelope = parseEnvelope(bytes);
  } catch (error) {
    return reject('malformed_envelope', toError(error).message);
  }
  const { keyId } = envelope;

  let keys: ReadonlyMap<string, TrustedKey>;
  try {
    keys = checks.trustedKeys();
  } catch (error) {
    const reason = error instanceof AgentError && error.code === 'trusted_keys_invalid' ? 'trusted_keys_invalid' : 'trusted_keys_unreadable';
    return reject(reason, toError(error).message, { keyId });
  }
  const trusted = keys.get(keyId);
  if (!trusted) {
    const known = [...keys.keys()].join(', ') || '(none)';
    return reject('unknown_key', `key id "${keyId}" is not in the trusted keys; trusted: ${known}`, { keyId });
  }
  if (trusted.notAfter !== undefined && checks.now > trusted.notAfter) {
    return reject('key_expired', `key "${keyId}" was trusted until ${new Date(trusted.notAfter).toISOString()}`, { keyId });
  }
  if (!verifyEnvelopeSignature(envelope, trusted.key)) {
    return reject('bad_signature', `signature does not verify with key "${keyId}" (payload, key id or expiry altered, or signed by another key)`, { keyId });
  }

  // Only signed bytes get this far.
  const payload = Buffer.from(envelope.payload, 'base64');
  const sha256 = sha256Hex(payload);
  let loaded: LoadedSiteConfig;
  try {
    loaded = parseConfigBytes(payload, checks.source, checks.env);
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
  if (envelope.expiresAt !== undefined && checks.now > Date.parse(envelope.expiresAt)) {
    return reject('expired', `the push expired at ${envelope.expiresAt}`, facts);
  }
  return { ok: true, loaded, keyId, expiresAt: envelope.expiresAt, payload };
}

function reject(reason: RejectReason, message: string, facts: Omit<RejectedPush, 'ok' | 'reason' | 'message'> = {}): RejectedPush {
  return { ok: false, reason, message: redactUrlsInText(message), ...facts };
}
