import { describe, expect, it } from 'vitest';
import { ModelError } from '../../../../pipelines/errors.js';
import { bgr24ToChw } from '../../../../pipelines/detect/preprocess.js';

// 2x1 image: pixel 0 is B=1 G=2 R=3, pixel 1 is B=4 G=5 R=6.
const pixels = new Uint8Array([1, 2, 3, 4, 5, 6]);

describe('bgr24ToChw', () => {
  it('keeps BGR planes in byte order with raw values', () => {
    const out = new Float32Array(6);
    expect(Array.from(bgr24ToChw(pixels, 2, 1, 'BGR', 'raw', out))).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('swaps to RGB planes', () => {
    const out = new Float32Array(6);
    expect(Array.from(bgr24ToChw(pixels, 2, 1, 'RGB', 'raw', out))).toEqual([3, 6, 2, 5, 1, 4]);
  });

  it('scales to 0..1 for unit models', () => {
    const out = bgr24ToChw(new Uint8Array([255, 0, 51]), 1, 1, 'BGR', 'unit', new Float32Array(3));
    expect(out[0]).toBeCloseTo(1, 6);
    expect(out[1]).toBe(0);
    expect(out[2]).toBeCloseTo(0.2, 6);
  });

  it('writes into the caller buffer and returns it (no per-frame allocation)', () => {
    const out = new Float32Array(6).fill(-1);
    expect(bgr24ToChw(pixels, 2, 1, 'BGR', 'raw', out)).toBe(out);
    expect(out.includes(-1)).toBe(false);
  });

  it('rejects an input buffer of the wrong size (frames are size-checked before, by frameSizeError)', () => {
    expect(() => bgr24ToChw(pixels, 2, 1, 'BGR', 'raw', new Float32Array(5))).toThrow(ModelError);
    expect(() => bgr24ToChw(pixels, 2, 1, 'BGR', 'raw', new Float32Array(5))).toThrow(/expected 6/);
  });
});
