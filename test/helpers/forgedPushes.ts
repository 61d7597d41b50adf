import { randomBytes } from 'node:crypto';

/**
 * Push payloads an attacker without a trusted key can send, each of a chosen size, each built so
 * that its text is recognisable: every run an attacker chose is made of one letter (`marker`)
 * that nothing else the agent writes repeats 41 times, so a test can tell whether more than a
 * short prefix of it was echoed anywhere.
 */

export type ForgedShape = 'unknown_keys' | 'bad_signature' | 'unknown_key_id' | 'not_json' | 'deep_nesting';

export const FORGED_SHAPES: readonly ForgedShape[] = ['unknown_keys', 'bad_signature', 'unknown_key_id', 'not_json', 'deep_nesting'];

/** The rejection reason each shape should get (the agreed `reason` label values). */
export const EXPECTED_REASON: Readonly<Record<ForgedShape, string>> = {
  unknown_keys: 'malformed_envelope',
  bad_signature: 'bad_signature',
  unknown_key_id: 'unknown_key',
  not_json: 'malformed_envelope',
  deep_nesting: 'malformed_envelope',
};

const b64 = (bytes: number): string => randomBytes(bytes).toString('base64');

/** base64 padding-free size of `bytes` raw bytes */
const rawBytesFor = (base64Chars: number): number => Math.max(3, Math.floor((base64Chars * 3) / 4 / 3) * 3);

/**
 * One forged envelope of about `size` bytes. `trustedKeyId`: the id a `bad_signature` forgery
 * claims (an attacker can read it off an earlier genuine push); `marker`: the letter of the
 * attacker's own runs (keys, key ids, junk).
 */
export function forgedPush(shape: ForgedShape, size: number, options: { trustedKeyId: string; marker: string }): Buffer {
  const { marker, trustedKeyId } = options;
  switch (shape) {
    case 'unknown_keys': {
      // The issue's case: one huge key the envelope schema does not know, and a few smaller ones.
      const big = marker.repeat(Math.max(1, size - 4_200));
      const small = Array.from({ length: 8 }, (_, i) => `"${marker.repeat(400)}${i}":${i}`).join(',');
      return Buffer.from(`{"payload":"AAAA","keyId":"k","sig":"AAAA","${big}":1,${small}}`);
    }
    case 'bad_signature':
      return Buffer.from(JSON.stringify({ payload: b64(rawBytesFor(size - 200)), keyId: trustedKeyId, sig: b64(64) }));
    case 'unknown_key_id':
      // the longest key id the envelope allows, so it passes the shape check and is looked up
      return Buffer.from(JSON.stringify({ payload: b64(rawBytesFor(size - 400)), keyId: `${marker}${marker.repeat(127)}`, sig: b64(64) }));
    case 'not_json':
      return Buffer.from(`${marker}://@:`.repeat(Math.floor(size / 5)));
    case 'deep_nesting': {
      const depth = Math.floor(size / 2 / (marker.length + 3));
      return Buffer.from(`${`{"${marker}":`.repeat(depth)}1${'}'.repeat(depth)}`);
    }
  }
}

/** `count` forged pushes cycling through every shape, sizes spread over [minBytes, maxBytes]. */
export function forgedFlood(count: number, options: { minBytes: number; maxBytes: number; trustedKeyId: string; marker: string }): Buffer[] {
  return Array.from({ length: count }, (_, i) => {
    const shape = FORGED_SHAPES[i % FORGED_SHAPES.length]!;
    const size = options.minBytes + Math.round(((options.maxBytes - options.minBytes) * ((i * 7) % count)) / Math.max(1, count - 1));
    return forgedPush(shape, size, options);
  });
}

/**
 * Whether `text` echoes more than `maxChars` consecutive characters of what forgedPush sent with
 * this marker: a run of the marker, of the not-JSON junk, or of the nesting.
 */
export function echoesMoreThan(text: string, marker: string, maxChars: number): boolean {
  const windows = [
    marker.repeat(maxChars + 1),
    `${marker}://@:`.repeat(Math.ceil((maxChars + 1) / 6) + 1),
    `{"${marker}":`.repeat(Math.ceil((maxChars + 1) / 5) + 1),
  ];
  return windows.some((window) => text.includes(window));
}
