import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../../agent/audit/canonicalJson.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, writes no whitespace and leaves out undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x y' }, u: undefined })).toBe('{"a":{"c":"x y","d":[3,{"y":null,"z":true}]},"b":1}');
    expect(canonicalJson([undefined, 1.5, -0, 'é\n'])).toBe('[null,1.5,0,"é\\n"]');
  });

  it('gives back the same text after a parse, for any JSON value (what verify relies on)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what JSON cannot carry instead of changing it silently', () => {
    expect(() => canonicalJson({ score: Number.NaN })).toThrow(/not a JSON number/);
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow(/not a JSON number/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/cannot encode a bigint/);
  });
});
