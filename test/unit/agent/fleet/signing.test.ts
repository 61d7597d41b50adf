import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fingerprintOf,
  generateSigningKey,
  parseEnvelope,
  readPrivateKey,
  readPublicKey,
  signEnvelope,
  signingInput,
  verifyEnvelopeSignature,
} from '../../../../agent/fleet/signing.js';
import { parseTrustedKeys } from '../../../../agent/fleet/trustedKeys.js';
import { ConfigError } from '../../../../pipelines/errors.js';

const pair = generateSigningKey();
const privateKey = createPrivateKey(pair.privateKeyPem);
const publicKey = readPublicKey(pair.publicKey);
const payload = Buffer.from('version: 3\nsite: {id: s}\n');

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.code;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config envelope signing', () => {
  it('round-trips: the payload is the exact bytes, base64, and the signature verifies', () => {
    const envelope = signEnvelope({ payload, privateKey, keyId: 'k1', expiresAt: new Date('2030-01-01T00:00:00Z') });
    expect(Buffer.from(envelope.payload, 'base64').equals(payload)).toBe(true);
    expect(envelope).toMatchObject({ keyId: 'k1', expiresAt: '2030-01-01T00:00:00.000Z' });
    const parsed = parseEnvelope(Buffer.from(JSON.stringify(envelope)));
    expect(verifyEnvelopeSignature(parsed, publicKey)).toBe(true);
  });

  it('binds the payload, the key id and the expiry: changing any one breaks the signature', () => {
    const envelope = signEnvelope({ payload, privateKey, keyId: 'k1', expiresAt: new Date('2030-01-01T00:00:00Z') });
    const tampered = Buffer.from(payload);
    tampered[9] = '4'.charCodeAt(0);
    expect(verifyEnvelopeSignature({ ...envelope, payload: tampered.toString('base64') }, publicKey)).toBe(false);
    expect(verifyEnvelopeSignature({ ...envelope, keyId: 'k2' }, publicKey)).toBe(false);
    expect(verifyEnvelopeSignature({ ...envelope, expiresAt: '2031-01-01T00:00:00.000Z' }, publicKey)).toBe(false);
    const { expiresAt: _dropped, ...withoutExpiry } = envelope;
    expect(verifyEnvelopeSignature(withoutExpiry, publicKey)).toBe(false);
    expect(verifyEnvelopeSignature({ ...envelope, sig: Buffer.alloc(10).toString('base64') }, publicKey)).toBe(false);
  });

  it('signs a documented message: context line, key id, expiry, then the payload bytes', () => {
    expect(signingInput('k1', undefined, payload).toString()).toBe(`c5-config-envelope-v1\nk1\n\n${payload.toString()}`);
  });

  it('refuses envelopes that are not JSON or not envelopes, naming the field', () => {
    expect(codeOf(() => parseEnvelope(Buffer.from('version: 3')))).toBe('malformed_envelope');
    expect(() => parseEnvelope(Buffer.from('{"payload":"!!","keyId":"k","sig":"AA=="}'))).toThrow(/payload: expected standard base64/);
    expect(() => parseEnvelope(Buffer.from('{"payload":"AA==","keyId":"k","sig":"AA==","extra":1}'))).toThrow(/unknown key\(s\) "extra"/);
    expect(() => parseEnvelope(Buffer.from('{"payload":"AA==","sig":"AA=="}'))).toThrow(/keyId/);
  });

  it('echoes at most a short quoted prefix of what the sender chose, however large', () => {
    const tail = 'TAIL-'.repeat(200_000);
    const messageOf = (text: string): string => {
      try {
        parseEnvelope(Buffer.from(text));
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected a malformed_envelope');
    };
    const cases = [
      `version: 3\n${tail}`,
      `{"payload":"AA==","keyId":"k","sig":"AA==","x${tail}":1}`,
      `{"payload":"AA==","keyId":"k${tail}","sig":"AA=="}`,
      `{"payload":"AA==","keyId":"k","sig":"AA==","expiresAt":"${tail}"}`,
      `{"payload":"${tail}","keyId":"k","sig":"AA=="}`,
      `{"payload":"AA==","keyId":"k","sig":"AA==",${Array.from({ length: 5_000 }, (_, i) => `"extra-${i}":1`).join(',')}}`,
      `{"payload":${'['.repeat(500_000)}${']'.repeat(500_000)}}`,
      `{"payload":${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}}`,
    ];
    for (const text of cases) {
      const message = messageOf(text);
      expect(message.length).toBeLessThan(300);
      expect(message).not.toContain('TAIL-TAIL-TAIL-TAIL-TAIL-TAIL-TAIL-TAIL-TAIL');
      expect(message).not.toContain('\n');
    }
    expect(messageOf(cases[0]!)).toBe(`not a JSON envelope (${cases[0]!.length} bytes); it starts "version: 3\\nTAIL-TAIL-TAIL-TAIL-TAIL-TAIL"`);
    expect(messageOf(cases[1]!)).toBe('not a config envelope: (root): unknown key(s) "xTAIL-TAIL-TAIL-TAIL-TAI"… (999977 more chars)');
    expect(messageOf(cases[5]!)).toBe('not a config envelope: more than 4 members (an envelope has payload, keyId, expiresAt and sig)');
  });

  it('refuses nested or many-membered documents before parsing them, and still reads a pretty-printed envelope', () => {
    expect(() => parseEnvelope(Buffer.from('{"payload":{"a":1},"keyId":"k","sig":"AA=="}'))).toThrow(/^not a config envelope: nested objects/);
    expect(() => parseEnvelope(Buffer.from('{"payload":["AA=="],"keyId":"k","sig":"AA=="}'))).toThrow(/^not a config envelope: an array/);
    const envelope = signEnvelope({ payload, privateKey, keyId: 'k1:v2', expiresAt: new Date('2030-01-01T00:00:00Z') });
    expect(verifyEnvelopeSignature(parseEnvelope(Buffer.from(JSON.stringify(envelope, null, 2))), publicKey)).toBe(true);
  });

  it('derives a stable key id from the public key, the same from either half', () => {
    expect(pair.fingerprint).toMatch(/^ed25519-[0-9a-f]{16}$/);
    expect(fingerprintOf(privateKey)).toBe(pair.fingerprint);
    expect(fingerprintOf(publicKey)).toBe(pair.fingerprint);
    expect(generateSigningKey().fingerprint).not.toBe(pair.fingerprint);
  });

  it('reads public keys as PEM or raw base64, and refuses other key types', () => {
    const pem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    expect(fingerprintOf(readPublicKey(pem))).toBe(pair.fingerprint);
    expect(() => readPublicKey('AAAA')).toThrow(/32 raw bytes/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => readPublicKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toThrow(/not Ed25519/);
    expect(codeOf(() => readPrivateKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'rsa.pem'))).toBe('bad_signing_key');
    expect(codeOf(() => readPrivateKey('not a key', 'junk.pem'))).toBe('bad_signing_key');
  });
});

describe('trusted keys file', () => {
  it('parses keys with optional notAfter', () => {
    const keys = parseTrustedKeys(JSON.stringify({ keys: [{ keyId: 'a', publicKey: pair.publicKey, notAfter: '2030-01-01T00:00:00Z' }] }), 'keys.json');
    expect(keys.get('a')?.notAfter).toBe(Date.parse('2030-01-01T00:00:00Z'));
  });

  it('names the entry that is wrong', () => {
    expect(() => parseTrustedKeys('{', 'keys.json')).toThrow(/keys\.json: not JSON/);
    expect(() => parseTrustedKeys(JSON.stringify({ keys: [{ keyId: 'a', publicKey: 'AAAA' }] }), 'keys.json')).toThrow(/keys\[0\]\.publicKey: expected PEM/);
    const twice = {
      keys: [
        { keyId: 'a', publicKey: pair.publicKey },
        { keyId: 'a', publicKey: pair.publicKey },
      ],
    };
    expect(() => parseTrustedKeys(JSON.stringify(twice), 'keys.json')).toThrow(/keys\[1\]\.keyId: the same key id as keys\[0\]$/);
    expect(() => parseTrustedKeys(JSON.stringify({ keys: [{ keyId: 'a', publicKey: pair.publicKey, notAfter: 'soon' }] }), 'keys.json')).toThrow(
      /keys\[0\]\.notAfter/,
    );
  });
});
