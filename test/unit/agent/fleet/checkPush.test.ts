import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  checkPush,
  isUnverifiedReason,
  REJECT_REASONS,
  UNVERIFIED_REASONS,
  verifyPush,
  type PushChecks,
  type PushVerdict,
  type RejectedPush,
} from '../../../../agent/fleet/checkPush.js';
import { parseTrustedKeys } from '../../../../agent/fleet/trustedKeys.js';
import * as sha256Module from '../../../../agent/sha256Hex.js';
import { ConfigError } from '../../../../pipelines/errors.js';
import { createSigner } from '../../../helpers/fleetSigner.js';

// A pass-through spy: the real hash, with its inputs recorded, to count how often a push is hashed.
vi.mock('../../../../agent/sha256Hex.js', async (importOriginal) => {
  const real = await importOriginal<typeof sha256Module>();
  return { sha256Hex: vi.fn(real.sha256Hex) };
});

const NOW = Date.parse('2026-03-01T12:00:00Z');
const signer = createSigner('centre-1');
const stranger = createSigner('centre-1');
const retired = createSigner('centre-0');

function siteYaml(version: number, options: { site?: string; cameraUrl?: string; fleet?: boolean } = {}): string {
  const fleet = options.fleet === false ? '' : 'fleet: { trustedKeysFile: /etc/c5/keys.json, stateDir: /var/lib/c5 }\n';
  return (
    `version: ${version}\nsite: { id: ${options.site ?? 'site-a'} }\nmqtt: { urls: ["mqtt://127.0.0.1:1883"] }\n${fleet}` +
    `cameras:\n  - id: cam-1\n    source: { url: "${options.cameraUrl ?? 'rtsp://10.0.0.2/a'}" }\n`
  );
}

const trusted = parseTrustedKeys(
  JSON.stringify({
    keys: [
      { keyId: signer.keyId, publicKey: signer.publicKey },
      { keyId: retired.keyId, publicKey: retired.publicKey, notAfter: '2026-01-01T00:00:00Z' },
    ],
  }),
  'keys.json',
);

function check(bytes: Buffer, overrides: Partial<PushChecks> = {}): PushVerdict {
  return checkPush(bytes, {
    maxBytes: 64 * 1024,
    trustedKeys: () => trusted,
    siteId: 'site-a',
    highWaterMark: 5,
    now: NOW,
    env: {},
    source: 'test push',
    ...overrides,
  });
}

function rejected(verdict: PushVerdict): RejectedPush {
  if (verdict.ok) throw new Error('expected a rejection');
  return verdict;
}

describe('checkPush', () => {
  it('accepts a signed, fresh config for this site above the high-water mark', () => {
    const verdict = check(signer.push(siteYaml(6), { expiresAt: new Date(NOW + 60_000) }));
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.loaded.config.version).toBe(6);
    expect(verdict.keyId).toBe('centre-1');
    expect(verdict.payload.toString()).toBe(siteYaml(6));
    // the sha256 of the exact bytes, as `sha256sum site.yaml` prints it for the signer
    expect(verdict.loaded.sha256).toBe(createHash('sha256').update(siteYaml(6)).digest('hex'));
  });

  it.each([
    ['oversized', () => check(signer.push(siteYaml(6)), { maxBytes: 100 }), 'too_large', /is more than fleet.maxPushBytes \(100\)/],
    ['non-JSON', () => check(Buffer.from('version: 6\n')), 'malformed_envelope', /^not a JSON envelope \(11 bytes\); it starts "version: 6\\n"$/],
    ['not an envelope', () => check(Buffer.from('{"version": 6}')), 'malformed_envelope', /payload/],
    ['unknown key id', () => check(signer.push(siteYaml(6), { keyId: 'intruder-9' })), 'unknown_key', /^key id "intruder-9" not trusted by this site$/],
    ['wrong key (same id, other key)', () => check(stranger.push(siteYaml(6))), 'bad_signature', /^signature does not verify with the key the push names/],
    ['key past its notAfter', () => check(retired.push(siteYaml(6))), 'key_expired', /^the key the push names is no longer trusted by this site/],
    ['other site', () => check(signer.push(siteYaml(6, { site: 'site-b' }))), 'wrong_site', /for site "site-b"; this is site "site-a"/],
    ['older version', () => check(signer.push(siteYaml(4))), 'stale_version', /version 4 is not above 5/],
    ['equal version (replay)', () => check(signer.push(siteYaml(5))), 'stale_version', /version 5 is not above 5/],
    ['expired', () => check(signer.push(siteYaml(6), { expiresAt: new Date(NOW - 1) })), 'expired', /expired at/],
    ['not YAML', () => check(signer.push('cameras: [')), 'config_syntax', /not valid YAML/],
    ['schema error', () => check(signer.push(siteYaml(6).replace('version: 6', 'version: 0'))), 'config_invalid', /version: Too small/],
    ['no fleet section', () => check(signer.push(siteYaml(6, { fleet: false }))), 'config_invalid', /fleet: a pushed config must keep the fleet section/],
    ['unset secret', () => check(signer.push(siteYaml(6, { cameraUrl: 'env:CAM_URL' }))), 'secret_unresolved', /CAM_URL is not set/],
  ])('rejects %s', (_name, run, reason, message) => {
    const verdict = rejected(run());
    expect(verdict.reason).toBe(reason);
    expect(verdict.message).toMatch(message);
  });

  it('hashes the config payload once per push, accepted or rejected after the signature', () => {
    const hashed = vi.mocked(sha256Module.sha256Hex);
    const payloadHashes = (text: string): number =>
      hashed.mock.calls.filter(([data]) => (typeof data === 'string' ? data : Buffer.from(data).toString()) === text).length;
    for (const [yaml, ok] of [
      [siteYaml(6), true],
      [siteYaml(6, { site: 'site-b' }), false],
      [siteYaml(6) + 'cameras: [\n', false],
    ] as const) {
      hashed.mockClear();
      expect(check(signer.push(yaml)).ok).toBe(ok);
      expect(payloadHashes(yaml)).toBe(1);
    }
  });

  it('rejects a tampered payload before reading it', () => {
    const envelope = signer.envelope(siteYaml(6));
    const tampered = { ...envelope, payload: Buffer.from(siteYaml(7)).toString('base64') };
    const verdict = rejected(check(Buffer.from(JSON.stringify(tampered))));
    expect(verdict.reason).toBe('bad_signature');
    expect(verdict.version).toBeUndefined();
    expect(verdict.sha256).toBeUndefined();
  });

  it('checks in the documented order: size, signature before parsing, site, version, expiry', () => {
    // signed garbage is a syntax error; the same garbage unsigned never gets parsed
    expect(rejected(check(stranger.push('}{'))).reason).toBe('bad_signature');
    expect(rejected(check(signer.push('}{'), { maxBytes: 10 })).reason).toBe('too_large');
    expect(rejected(check(signer.push(siteYaml(4, { site: 'site-b' }), { expiresAt: new Date(NOW - 1) }))).reason).toBe('wrong_site');
    expect(rejected(check(signer.push(siteYaml(4), { expiresAt: new Date(NOW - 1) }))).reason).toBe('stale_version');
  });

  it('reports the trusted keys file as the reason when it cannot be used', () => {
    const unreadable = (): never => {
      throw new ConfigError('trusted_keys_unreadable', 'cannot read trusted keys file /nope (ENOENT)');
    };
    expect(rejected(check(signer.push(siteYaml(6)), { trustedKeys: unreadable })).reason).toBe('trusted_keys_unreadable');
    const invalid = (): never => parseTrustedKeys('[]', 'keys.json') as never;
    expect(rejected(check(signer.push(siteYaml(6)), { trustedKeys: invalid })).reason).toBe('trusted_keys_invalid');
  });

  it('never echoes credentials from a signed but invalid config', () => {
    // the enum error quotes the value received: here a URL with a password in the wrong field
    const text = siteYaml(6).replace('source: {', 'source: { transport: "rtsp://admin:hunter2@10.0.0.2/x", ');
    const verdict = rejected(check(signer.push(text)));
    expect(verdict.reason).toBe('config_invalid');
    expect(verdict.message).not.toContain('hunter2');
  });

  it('never throws on arbitrary bytes or arbitrary envelope-shaped JSON; always a reason from the closed set', () => {
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? '')),
      fc
        .record({
          payload: fc.oneof(fc.base64String(), fc.string()),
          keyId: fc.oneof(fc.constant('centre-1'), fc.string()),
          sig: fc.oneof(fc.base64String(), fc.string()),
        })
        .map((envelope) => Buffer.from(JSON.stringify(envelope))),
    );
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        const verdict = check(bytes);
        expect(verdict.ok).toBe(false);
        expect(REJECT_REASONS).toContain((verdict as RejectedPush).reason);
        expect((verdict as RejectedPush).message.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('answers a 1 MB unknown key with a short text that does not contain the key', () => {
    const key = `k${'Q'.repeat(1024 * 1024 - 200)}`;
    const envelope = { ...signer.envelope(siteYaml(6)), [key]: 1 };
    const verdict = rejected(check(Buffer.from(JSON.stringify(envelope)), { maxBytes: 2 * 1024 * 1024 }));
    expect(verdict.reason).toBe('malformed_envelope');
    expect(verdict.message.length).toBeLessThan(300);
    expect(verdict.message).not.toContain('Q'.repeat(41));
  });

  it('never names a trusted key id in a rejection made before the signature held', () => {
    const trustedIds = [signer.keyId, retired.keyId];
    const unsigned = [
      check(signer.push(siteYaml(6), { keyId: 'intruder-9' })),
      check(stranger.push(siteYaml(6))),
      check(retired.push(siteYaml(6))),
      check(Buffer.from(JSON.stringify({ ...signer.envelope(siteYaml(6)), sig: 'AAAA' }))),
      check(signer.push(siteYaml(6)), { maxBytes: 100 }),
      check(Buffer.from('{"keyId":"centre-1"}')),
      check(signer.push(siteYaml(6)), {
        trustedKeys: () =>
          parseTrustedKeys(
            JSON.stringify({
              keys: [
                { keyId: 'centre-1', publicKey: signer.publicKey },
                { keyId: 'centre-1', publicKey: signer.publicKey },
              ],
            }),
            'keys.json',
          ),
      }),
      check(signer.push(siteYaml(6)), { trustedKeys: () => parseTrustedKeys('{"keys": [{"keyId": "centre-1", ', 'keys.json') }),
    ].map(rejected);
    expect(unsigned.map((verdict) => verdict.reason)).toEqual([
      'unknown_key',
      'bad_signature',
      'key_expired',
      'bad_signature',
      'too_large',
      'malformed_envelope',
      'trusted_keys_invalid',
      'trusted_keys_invalid',
    ]);
    for (const verdict of unsigned) {
      expect(isUnverifiedReason(verdict.reason)).toBe(true);
      for (const id of trustedIds) expect(JSON.stringify(verdict)).not.toContain(id);
    }
  });

  it('refuses unverified pushes in the first stage alone, and verifies a genuine one there', () => {
    const checks = { maxBytes: 64 * 1024, trustedKeys: () => trusted, now: NOW };
    expect(verifyPush(signer.push(siteYaml(6)), checks)).toMatchObject({ ok: true, keyId: 'centre-1', payload: Buffer.from(siteYaml(6)) });
    // a signed config for another site passes the first stage: only the second reads the payload
    expect(verifyPush(signer.push(siteYaml(6, { site: 'site-b' })), checks).ok).toBe(true);
    expect(verifyPush(stranger.push(siteYaml(6)), checks)).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect([...UNVERIFIED_REASONS].sort()).toEqual([
      'bad_signature',
      'key_expired',
      'malformed_envelope',
      'too_large',
      'trusted_keys_invalid',
      'trusted_keys_unreadable',
      'unknown_key',
    ]);
    expect(REJECT_REASONS.filter((reason) => !isUnverifiedReason(reason))).not.toContain('bad_signature');
  });
});
