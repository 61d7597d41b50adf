import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPush, type RejectedPush } from '../../../../agent/fleet/checkPush.js';
import { parseTrustedKeys } from '../../../../agent/fleet/trustedKeys.js';
import { createSigner } from '../../../helpers/fleetSigner.js';
import { cpuTimeRatio } from '../../../helpers/cpuTime.js';

/**
 * Everything before the signature holds is done for anyone who can publish: its time must grow
 * linearly with the push (issue 12: a 150 KB key froze the agent for 32 s). Each shape an
 * attacker might choose is timed at 100 KB and at 1 MB in the same run; linear is about 10x, a
 * quadratic step would be about 100x.
 */

const signer = createSigner('centre-1');
const trusted = parseTrustedKeys(JSON.stringify({ keys: [{ keyId: signer.keyId, publicKey: signer.publicKey }] }), 'keys.json');
const check = (bytes: Buffer): RejectedPush => {
  const verdict = checkPush(bytes, {
    maxBytes: 2 * 1024 * 1024,
    trustedKeys: () => trusted,
    siteId: 'site-a',
    highWaterMark: 1,
    now: 0,
    env: {},
    source: 'mqtt push',
  });
  if (verdict.ok) throw new Error('a forged push was accepted');
  return verdict;
};

const base64Of = (size: number): string => Buffer.alloc(Math.floor((size * 3) / 4), 0x5a).toString('base64');

/** A push of about `size` bytes, made of runs of `marker` wherever the sender chooses text. */
const shapes: Record<string, (size: number, marker: string) => string> = {
  'one huge unknown key': (size, m) => `{"payload":"AAAA","keyId":"k","sig":"AAAA","${m.repeat(size)}":1}`,
  'a huge key id': (size, m) => `{"payload":"AAAA","keyId":"${m.repeat(size)}","sig":"AAAA"}`,
  'a huge expiry': (size, m) => `{"payload":"AAAA","keyId":"k","expiresAt":"${m.repeat(size)}","sig":"AAAA"}`,
  'a huge payload that is base64 but for its end': (size) => `{"payload":"${base64Of(size)}!","keyId":"k","sig":"AAAA"}`,
  'a huge payload under an unknown key id': (size, m) => `{"payload":"${base64Of(size)}","keyId":"${m}","sig":"AAAA"}`,
  'a huge payload with a forged signature': (size) => `{"payload":"${base64Of(size)}","keyId":"centre-1","sig":"${base64Of(64)}"}`,
  'text that is not JSON': (size, m) => `${m}://@:`.repeat(size / 5),
  'deeply nested arrays': (size) => `${'['.repeat(size / 2)}${']'.repeat(size / 2)}`,
  'deeply nested objects': (size, m) => `${`{"${m}":`.repeat(size / 6)}1${'}'.repeat(size / 6)}`,
  'control characters and quotes in a key': (size) => `{"payload":"AAAA","keyId":"k","sig":"AAAA","${'\\u0000\\"\\n'.repeat(size / 10)}":1}`,
};

describe('checkPush time on unsigned input is linear', () => {
  it.each(Object.keys(shapes))('%s: 1 MB takes less than 20x the time of 100 KB, and the answer stays short', (name) => {
    fc.assert(
      fc.property(fc.constantFrom('x', 'Q', '7', 'é', '"'), (marker) => {
        const small = Buffer.from(shapes[name]!(100_000, marker));
        const large = Buffer.from(shapes[name]!(1_000_000, marker));
        const verdict = check(large);
        expect(verdict.message.length).toBeLessThan(320);
        expect(verdict.message).not.toContain(marker.repeat(25));
        expect(
          cpuTimeRatio(
            () => check(small),
            () => check(large),
          ),
        ).toBeLessThan(20);
      }),
      { numRuns: 3 },
    );
  });
});
