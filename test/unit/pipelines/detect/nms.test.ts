import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iou, nmsDetections, nmsIndices, NmsScratch } from '../../../../pipelines/detect/nms.js';
import type { Box, Detection } from '../../../../pipelines/types.js';

const det = (classId: number, score: number, box: Box): Detection => ({ label: `c${classId}`, classId, score, box });

describe('iou', () => {
  it('is 1 for identical boxes, 0 for disjoint or touching ones', () => {
    expect(iou([0, 0, 2, 2], [0, 0, 2, 2])).toBe(1);
    expect(iou([0, 0, 1, 1], [2, 2, 3, 3])).toBe(0);
    expect(iou([0, 0, 1, 1], [1, 0, 2, 1])).toBe(0);
  });

  it('is intersection over union', () => {
    // 1x2 overlap of two 2x2 boxes: 2 / (4 + 4 - 2)
    expect(iou([0, 0, 2, 2], [1, 0, 3, 2])).toBeCloseTo(2 / 6, 12);
  });

  it('is 0 for a degenerate box', () => {
    expect(iou([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0);
  });
});

describe('nmsDetections', () => {
  it('keeps the best of overlapping same-class boxes and returns them by score', () => {
    const a = det(0, 0.6, [0, 0, 10, 10]);
    const b = det(0, 0.9, [1, 1, 11, 11]);
    const c = det(0, 0.7, [50, 50, 60, 60]);
    expect(nmsDetections([a, b, c], 0.5)).toEqual([b, c]);
  });

  it('does not suppress across classes', () => {
    const dog = det(16, 0.9, [0, 0, 10, 10]);
    const cat = det(15, 0.4, [0, 0, 10, 10]);
    expect(nmsDetections([cat, dog], 0.5)).toEqual([dog, cat]);
  });

  it('suppresses across the classes that share a key (a label group), and only those', () => {
    // classes 2 car, 7 truck in one group (key 2); 0 person alone
    const keys = [0, 1, 2, 3, 4, 5, 6, 2];
    const car = det(2, 0.8, [0, 0, 10, 10]);
    const truck = det(7, 0.6, [1, 0, 11, 10]);
    const person = det(0, 0.7, [0, 0, 10, 10]);
    // car and truck overlap by 90 / 110 = 0.82
    expect(nmsDetections([truck, person, car], 0.45, keys)).toEqual([car, person]);
    expect(nmsDetections([truck, person, car], 0.45)).toEqual([car, person, truck]);
  });

  it('keeps a box whose overlap equals the threshold (suppression is strictly above)', () => {
    const a = det(0, 0.9, [0, 0, 2, 2]);
    const b = det(0, 0.8, [1, 0, 3, 2]);
    expect(nmsDetections([a, b], 2 / 6)).toHaveLength(2);
    expect(nmsDetections([a, b], 0.3)).toEqual([a]);
  });

  it('breaks score ties by input order, deterministically', () => {
    const a = det(0, 0.5, [0, 0, 10, 10]);
    const b = det(0, 0.5, [0, 0, 10, 10]);
    expect(nmsDetections([a, b], 0.5)[0]).toBe(a);
    expect(nmsDetections([b, a], 0.5)[0]).toBe(b);
  });

  it('handles no input', () => {
    expect(nmsDetections([], 0.5)).toEqual([]);
  });
});

describe('nmsIndices', () => {
  it('reuses a scratch that grows on demand', () => {
    const scratch = new NmsScratch(1);
    const boxes = new Float32Array([0, 0, 1, 1, 5, 5, 6, 6, 0, 0, 1, 1]);
    const scores = new Float32Array([0.2, 0.5, 0.9]);
    const classes = new Int32Array([0, 0, 0]);
    expect(nmsIndices(boxes, scores, classes, 3, 0.5, scratch)).toEqual([2, 1]);
    // only the first `count` candidates take part
    expect(nmsIndices(boxes, scores, classes, 2, 0.5, scratch)).toEqual([1, 0]);
  });
});

const arbBox = fc
  .tuple(
    fc.double({ min: 0, max: 100, noNaN: true }),
    fc.double({ min: 0, max: 100, noNaN: true }),
    fc.double({ min: 0.5, max: 60, noNaN: true }),
    fc.double({ min: 0.5, max: 60, noNaN: true }),
  )
  .map(([x, y, w, h]): Box => [x, y, x + w, y + h]);

const arbDetections = fc.array(
  fc.record({
    classId: fc.integer({ min: 0, max: 2 }),
    score: fc.double({ min: 0, max: 1, noNaN: true }),
    box: arbBox,
  }),
  { maxLength: 40 },
);

describe('nms properties', () => {
  const threshold = fc.double({ min: 0.05, max: 0.95, noNaN: true });

  it('returns a subset of its input, each at most once', () => {
    fc.assert(
      fc.property(arbDetections, threshold, (raw, t) => {
        const input = raw.map((r) => det(r.classId, r.score, r.box));
        const kept = nmsDetections(input, t);
        expect(new Set(kept).size).toBe(kept.length);
        for (const k of kept) expect(input).toContain(k);
      }),
    );
  });

  it('leaves no two same-class boxes overlapping above the threshold', () => {
    fc.assert(
      fc.property(arbDetections, threshold, (raw, t) => {
        const kept = nmsDetections(
          raw.map((r) => det(r.classId, r.score, r.box)),
          t,
        );
        for (let i = 0; i < kept.length; i++) {
          for (let j = i + 1; j < kept.length; j++) {
            if (kept[i]!.classId === kept[j]!.classId) expect(iou(kept[i]!.box, kept[j]!.box)).toBeLessThanOrEqual(t);
          }
        }
      }),
    );
  });

  it('drops a box only for a kept same-class box at least as good that overlaps it', () => {
    fc.assert(
      fc.property(arbDetections, threshold, (raw, t) => {
        const input = raw.map((r) => det(r.classId, r.score, r.box));
        const kept = nmsDetections(input, t);
        for (const d of input) {
          if (kept.includes(d)) continue;
          const reason = kept.find((k) => k.classId === d.classId && k.score >= d.score && iou(k.box, d.box) > t);
          expect(reason).toBeDefined();
        }
      }),
    );
  });
});
