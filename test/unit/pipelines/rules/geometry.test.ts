import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anchorOf, iou, median, pointInPolygon } from '../../../../pipelines/rules/geometry.js';
import type { Box, Point } from '../../../../pipelines/types.js';

const square: Point[] = [
  [0.2, 0.2],
  [0.6, 0.2],
  [0.6, 0.6],
  [0.2, 0.6],
];

describe('geometry', () => {
  it('anchors a box at its bottom centre', () => {
    expect(anchorOf([0.1, 0.2, 0.3, 0.8])).toEqual([0.2, 0.8]);
  });

  it('tells points inside a polygon from points outside', () => {
    expect(pointInPolygon([0.4, 0.4], square)).toBe(true);
    expect(pointInPolygon([0.7, 0.4], square)).toBe(false);
    expect(pointInPolygon([0.4, 0.1], square)).toBe(false);
  });

  it('handles a concave polygon', () => {
    const u: Point[] = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0.7, 1],
      [0.7, 0.3],
      [0.3, 0.3],
      [0.3, 1],
      [0, 1],
    ];
    expect(pointInPolygon([0.5, 0.8], u)).toBe(false);
    expect(pointInPolygon([0.15, 0.8], u)).toBe(true);
    expect(pointInPolygon([0.5, 0.1], u)).toBe(true);
  });

  it('computes IoU symmetric, in 0..1, and 1 for identical boxes', () => {
    const box = fc
      .tuple(fc.double({ min: 0, max: 0.5, noNaN: true }), fc.double({ min: 0, max: 0.5, noNaN: true }), fc.double({ min: 0.01, max: 0.5, noNaN: true }), fc.double({ min: 0.01, max: 0.5, noNaN: true }))
      .map(([x, y, w, h]): Box => [x, y, x + w, y + h]);
    fc.assert(
      fc.property(box, box, (a, b) => {
        const ab = iou(a, b);
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(ab).toBeLessThanOrEqual(1 + 1e-9);
        expect(ab).toBeCloseTo(iou(b, a), 12);
        expect(iou(a, a)).toBeCloseTo(1, 9);
      }),
    );
    expect(iou([0, 0, 0.5, 0.5], [0.5, 0.5, 1, 1])).toBe(0);
    expect(iou([0, 0, 1, 1], [0, 0, 0.5, 1])).toBeCloseTo(0.5, 12);
  });

  it('takes the median of odd and even lists', () => {
    expect(median([0.9, 0.1, 0.5])).toBe(0.5);
    expect(median([0.2, 0.4, 0.6, 0.8])).toBeCloseTo(0.5, 12);
    expect(median([])).toBe(0);
  });
});
