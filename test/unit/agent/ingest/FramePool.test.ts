import { describe, expect, it } from 'vitest';
import { FrameCutter } from '../../../../agent/ingest/FrameCutter.js';
import { FramePool } from '../../../../agent/ingest/FramePool.js';

describe('FramePool', () => {
  it('hands back released buffers instead of allocating, and keeps at most maxFree of them', () => {
    const pool = new FramePool(8, 2);
    const a = pool.take();
    const b = pool.take();
    const c = pool.take();
    expect(pool.allocated).toBe(3);
    pool.give(a);
    pool.give(b);
    pool.give(c); // over maxFree: left to the garbage collector
    // identity, not contents: every buffer here is zero-filled
    const taken = [pool.take(), pool.take()];
    expect(taken).toContain(a);
    expect(taken).toContain(b);
    expect(pool.allocated).toBe(3);
    pool.take();
    expect(pool.allocated).toBe(4);
  });

  it('a frame released twice (or a buffer given twice, or of another size) never ends up under two frames', () => {
    const pool = new FramePool(8, 4);
    const buffer = pool.take();
    const release = pool.releaser(buffer);
    release();
    release();
    pool.give(buffer);
    pool.give(new Uint8Array(9));
    const first = pool.take();
    const second = pool.take();
    expect(first).toBe(buffer);
    expect(second).not.toBe(buffer);
    expect(second).toHaveLength(8);
  });

  it('feeds a FrameCutter: a frame released before the next one completes is refilled, with the next frame bytes', () => {
    const pool = new FramePool(4);
    const cutter = new FrameCutter(4, pool);
    const seen: { buffer: Uint8Array; bytes: number[] }[] = [];
    cutter.push(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), (frame) => {
      seen.push({ buffer: frame, bytes: [...frame] });
      pool.give(frame);
    });
    expect(seen.map((s) => s.bytes)).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
    ]);
    expect(new Set(seen.map((s) => s.buffer)).size).toBe(1);
    expect(pool.allocated).toBe(1);
    expect(() => new FrameCutter(5, pool)).toThrow(RangeError);
  });
});
