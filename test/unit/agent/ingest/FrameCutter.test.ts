import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameCutter } from '../../../../agent/ingest/FrameCutter.js';

/** Frame i is filled with a pattern unique to (i, offset), so reordering or shifting is caught. */
function makeFrames(count: number, size: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => Uint8Array.from({ length: size }, (_, j) => (i * 31 + j * 7) & 0xff));
}

function chunk(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of [...points, stream.length]) {
    chunks.push(stream.subarray(start, p)); // empty chunks included on purpose
    start = p;
  }
  return chunks;
}

describe('FrameCutter', () => {
  it('any chunking of N frames yields exactly those N frames in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 12 }), fc.array(fc.nat(), { maxLength: 40 }), (frameBytes, count, cuts) => {
        const frames = makeFrames(count, frameBytes);
        const stream = new Uint8Array(frameBytes * count);
        frames.forEach((f, i) => stream.set(f, i * frameBytes));
        const cutter = new FrameCutter(frameBytes);
        const out: Uint8Array[] = [];
        for (const c of chunk(stream, cuts)) cutter.push(c, (frame) => out.push(frame));
        expect(out).toEqual(frames);
        expect(cutter.pendingBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('hands out a fresh buffer per frame that later input never overwrites', () => {
    const cutter = new FrameCutter(4);
    const out: Uint8Array[] = [];
    cutter.push(Uint8Array.of(1, 2, 3, 4, 5, 6), (f) => out.push(f));
    cutter.push(Uint8Array.of(7, 8, 9, 10, 11, 12, 13, 14), (f) => out.push(f));
    expect(out.map((f) => [...f])).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
    ]);
    expect(new Set(out.map((f) => f.buffer)).size).toBe(3);
    expect(cutter.pendingBytes).toBe(2);
  });

  it('does not keep a reference to the caller chunk', () => {
    const cutter = new FrameCutter(3);
    const out: Uint8Array[] = [];
    const input = Uint8Array.of(1, 2, 3);
    cutter.push(input, (f) => out.push(f));
    input.fill(0);
    expect([...out[0]!]).toEqual([1, 2, 3]);
  });

  it('reset drops a partial frame', () => {
    const cutter = new FrameCutter(4);
    const out: Uint8Array[] = [];
    cutter.push(Uint8Array.of(9, 9), (f) => out.push(f));
    cutter.reset();
    cutter.push(Uint8Array.of(1, 2, 3, 4), (f) => out.push(f));
    expect(out.map((f) => [...f])).toEqual([[1, 2, 3, 4]]);
  });

  it('rejects a non-positive frame size', () => {
    expect(() => new FrameCutter(0)).toThrow(RangeError);
    expect(() => new FrameCutter(1.5)).toThrow(RangeError);
  });
});
