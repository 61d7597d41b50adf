import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anchorOf, iou, median, pointInPolygon, segmentsIntersect, signedDistanceToLine, standingPoint } from '../../../pipelines/geometry.js';
import type { Box, Point } from '../../../pipelines/types.js';

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

  it("stands a track on its latest anchor, or on its box's bottom centre when it has none", () => {
    expect(
      standingPoint({
        box: [0.1, 0.2, 0.3, 0.4],
        anchors: [
          [0.5, 0.5],
          [0.2, 0.8],
        ],
      }),
    ).toEqual([0.2, 0.8]);
    expect(standingPoint({ box: [0.1, 0.2, 0.3, 0.4], anchors: [] })).toEqual([0.2, 0.4]);
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
      .tuple(
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
      )
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

  it('puts points right of a directed line (as seen on screen) at a positive distance', () => {
    // drawn left to right: below is right of the direction of travel
    expect(signedDistanceToLine([0.5, 0.6], [0, 0.5], [1, 0.5])).toBeCloseTo(0.1, 12);
    expect(signedDistanceToLine([0.5, 0.4], [0, 0.5], [1, 0.5])).toBeCloseTo(-0.1, 12);
    // drawn top to bottom: left on screen is right of the direction of travel
    expect(signedDistanceToLine([0.2, 0.5], [0.5, 0], [0.5, 1])).toBeCloseTo(0.3, 12);
  });

  it('tells crossing segments from parallel, disjoint and touching ones', () => {
    expect(segmentsIntersect([0, 0], [1, 1], [0, 1], [1, 0])).toBe(true);
    expect(segmentsIntersect([0, 0], [1, 0], [0, 0.1], [1, 0.1])).toBe(false);
    expect(segmentsIntersect([0, 0], [0.4, 0.4], [0.6, 0.6], [1, 1])).toBe(false);
    expect(segmentsIntersect([0, 0], [0.5, 0.5], [0.5, 0.5], [1, 0])).toBe(true);
  });
});

/** Reference: even-odd by counting edges crossed by a vertical ray upwards, a different ray from pointInPolygon's. */
function referenceEvenOdd(point: Point, polygon: readonly Point[]): boolean {
  const [px, py] = point;
  let crossings = 0;
  for (let i = 0; i < polygon.length; i++) {
    const [ax, ay] = polygon[i]!;
    const [bx, by] = polygon[(i + 1) % polygon.length]!;
    if (ax > px === bx > px) continue;
    const y = ay + ((px - ax) * (by - ay)) / (bx - ax);
    if (y < py) crossings += 1;
  }
  return crossings % 2 === 1;
}

/** Reference for simple polygons: the winding number is non-zero inside. */
function windingNumber(point: Point, polygon: readonly Point[]): number {
  let angle = 0;
  for (let i = 0; i < polygon.length; i++) {
    const [ax, ay] = polygon[i]!;
    const [bx, by] = polygon[(i + 1) % polygon.length]!;
    const a = Math.atan2(ay - point[1], ax - point[0]);
    const b = Math.atan2(by - point[1], bx - point[0]);
    let d = b - a;
    while (d > Math.PI) d -= 2 * Math.PI;
    while (d < -Math.PI) d += 2 * Math.PI;
    angle += d;
  }
  return Math.round(angle / (2 * Math.PI));
}

function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** Points this close to an edge or a vertex's vertical may land either side; the contract says so. */
function ambiguous(point: Point, polygon: readonly Point[]): boolean {
  return polygon.some(
    (a, i) => distanceToSegment(point, a, polygon[(i + 1) % polygon.length]!) < 1e-7 || Math.abs(a[0] - point[0]) < 1e-9 || Math.abs(a[1] - point[1]) < 1e-9,
  );
}

const coordinate = fc.double({ min: 0, max: 1, noNaN: true });
const point = fc.tuple(coordinate, coordinate) as fc.Arbitrary<Point>;

describe('pointInPolygon against reference implementations', () => {
  it('agrees with even-odd counting along another ray, on arbitrary (even self-intersecting) polygons', () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 3, maxLength: 12 }), fc.array(point, { minLength: 1, maxLength: 20 }), (polygon, probes) => {
        for (const probe of probes) {
          if (ambiguous(probe, polygon)) continue;
          expect(pointInPolygon(probe, polygon), `${JSON.stringify(probe)} in ${JSON.stringify(polygon)}`).toBe(referenceEvenOdd(probe, polygon));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the winding number on simple (star-shaped) polygons', () => {
    const star = fc
      .tuple(
        point,
        fc.array(fc.tuple(fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }), fc.double({ min: 0.02, max: 0.5, noNaN: true })), {
          minLength: 3,
          maxLength: 12,
        }),
      )
      .map(([centre, rays]) =>
        [...rays].sort((a, b) => a[0] - b[0]).map(([angle, radius]): Point => [centre[0] + radius * Math.cos(angle), centre[1] + radius * Math.sin(angle)]),
      );
    fc.assert(
      fc.property(star, fc.array(point, { minLength: 1, maxLength: 20 }), (polygon, probes) => {
        for (const probe of probes) {
          if (ambiguous(probe, polygon)) continue;
          expect(pointInPolygon(probe, polygon)).toBe(windingNumber(probe, polygon) !== 0);
        }
      }),
      { numRuns: 500 },
    );
  });
});
