import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_POLYGON_POINTS, polygonProblem, type PolygonPoint } from '../../../../pipelines/config/simplePolygon.js';
import { parseSiteConfig } from '../../../../pipelines/config/siteConfig.js';

/**
 * The reference the property test compares against, written apart from the code under test and
 * in another way: integer grid coordinates, exact BigInt arithmetic, and segment intersection by
 * solving the two parametric equations (Cramer's rule) instead of orientation signs.
 */
type Grid = readonly [number, number];

function segmentsShareAPoint(p1: Grid, p2: Grid, q1: Grid, q2: Grid): boolean {
  const [x1, y1, x2, y2, x3, y3, x4, y4] = [p1[0], p1[1], p2[0], p2[1], q1[0], q1[1], q2[0], q2[1]].map(BigInt) as bigint[];
  const rx = x2! - x1!;
  const ry = y2! - y1!;
  const sx = x4! - x3!;
  const sy = y4! - y3!;
  const denominator = rx * sy - ry * sx;
  const qpx = x3! - x1!;
  const qpy = y3! - y1!;
  if (denominator !== 0n) {
    // p1 + t r = q1 + u s, with t = (qp x s) / (r x s), u = (qp x r) / (r x s), both in [0, 1]
    let t = qpx * sy - qpy * sx;
    let u = qpx * ry - qpy * rx;
    let d = denominator;
    if (d < 0n) [t, u, d] = [-t, -u, -d];
    return t >= 0n && t <= d && u >= 0n && u <= d;
  }
  if (qpx * ry - qpy * rx !== 0n) return false; // parallel, on different lines
  // same line: project on r and see whether the two intervals overlap
  const rr = rx * rx + ry * ry;
  const a = qpx * rx + qpy * ry;
  const b = (x4! - x1!) * rx + (y4! - y1!) * ry;
  const low = a < b ? a : b;
  const high = a < b ? b : a;
  return high >= 0n && low <= rr;
}

function referenceIsSimple(points: readonly Grid[]): boolean {
  const n = points.length;
  if (n < 3) return false;
  let doubleArea = 0n;
  for (let i = 0; i < n; i += 1) {
    const [x1, y1] = points[i]!;
    const [x2, y2] = points[(i + 1) % n]!;
    doubleArea += BigInt(x1) * BigInt(y2) - BigInt(x2) * BigInt(y1);
  }
  if (doubleArea === 0n) return false;
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < n; j += 1) {
      if (i === j) continue;
      const a: [Grid, Grid] = [points[i]!, points[(i + 1) % n]!];
      const b: [Grid, Grid] = [points[j]!, points[(j + 1) % n]!];
      const adjacent = (i + 1) % n === j || (j + 1) % n === i;
      if (!adjacent) {
        if (segmentsShareAPoint(a[0], a[1], b[0], b[1])) return false;
        continue;
      }
      // adjacent edges share exactly their common vertex: test a shortened copy of each, scaled
      // by 4 so the cut-off points stay on the grid
      const shorten = (from: Grid, to: Grid, shared: Grid): [Grid, Grid] => {
        const far = from === shared ? to : from;
        const scaled = (p: Grid): Grid => [p[0] * 4, p[1] * 4];
        const near: Grid = [shared[0] * 4 + (far[0] - shared[0]), shared[1] * 4 + (far[1] - shared[1])];
        return [near, scaled(far)];
      };
      const shared = (i + 1) % n === j ? points[j]! : points[i]!;
      if (a[0][0] === a[1][0] && a[0][1] === a[1][1]) return false; // a zero-length edge: a repeated point
      if (b[0][0] === b[1][0] && b[0][1] === b[1][1]) return false;
      const [a0, a1] = shorten(a[0], a[1], shared);
      const [b0, b1] = shorten(b[0], b[1], shared);
      if (segmentsShareAPoint(a0, a1, b0, b1)) return false;
    }
  }
  // no repeated vertex anywhere (two equal vertices make the boundary touch itself)
  const keys = new Set(points.map(([x, y]) => `${x},${y}`));
  return keys.size === n;
}

const GRID = 8;
const toUnit = (points: readonly Grid[]): PolygonPoint[] => points.map(([x, y]) => [x / GRID, y / GRID]);

describe('polygonProblem', () => {
  it('accepts convex and concave simple polygons', () => {
    expect(
      polygonProblem([
        [0, 0],
        [1, 0],
        [1, 1],
      ]),
    ).toBeUndefined();
    expect(
      polygonProblem([
        [0.1, 0.55],
        [0.9, 0.55],
        [0.95, 0.95],
        [0.05, 0.95],
      ]),
    ).toBeUndefined();
    // an L shape, and a square with a point straight on one of its sides
    expect(
      polygonProblem([
        [0, 0],
        [0.5, 0],
        [0.5, 0.5],
        [1, 0.5],
        [1, 1],
        [0, 1],
      ]),
    ).toBeUndefined();
    expect(
      polygonProblem([
        [0, 0],
        [0.5, 0],
        [1, 0],
        [1, 1],
        [0, 1],
      ]),
    ).toBeUndefined();
  });

  it('names what is wrong with a degenerate or self-intersecting polygon', () => {
    expect(
      polygonProblem([
        [0, 0],
        [1, 1],
        [1, 0],
        [0, 1],
      ]),
    ).toBe('edges 0-1 and 2-3 cross or touch; the polygon must not intersect itself');
    expect(
      polygonProblem([
        [0, 0],
        [0.5, 0.5],
        [1, 1],
      ]),
    ).toBe('the polygon has no area (its points are collinear)');
    expect(
      polygonProblem([
        [0, 0],
        [1, 0],
        [1, 1],
        [1, 0],
      ]),
    ).toBe("point 3 repeats point 1 (1,0); a polygon's points must all differ");
    expect(
      polygonProblem([
        [0, 0],
        [1, 0],
        [0.5, 0],
        [0.5, 1],
      ]),
    ).toBe('the polygon folds back on itself at point 1');
    // a vertex touching a non-adjacent edge (no crossing, still not simple)
    expect(
      polygonProblem([
        [0, 0],
        [1, 0],
        [1, 1],
        [0.5, 0],
        [0, 1],
      ]),
    ).toMatch(/cross or touch/);
  });

  it('agrees with an independent brute-force reference on random grid polygons (property)', () => {
    const point = fc.tuple(fc.integer({ min: 0, max: GRID }), fc.integer({ min: 0, max: GRID }));
    fc.assert(
      fc.property(fc.array(point, { minLength: 3, maxLength: 9 }), (points) => {
        expect(polygonProblem(toUnit(points)) === undefined).toBe(referenceIsSimple(points));
      }),
      { numRuns: 3000 },
    );
  });

  it('finds both simple and non-simple polygons among the random ones (the property is not vacuous)', () => {
    const samples = fc.sample(fc.array(fc.tuple(fc.integer({ min: 0, max: GRID }), fc.integer({ min: 0, max: GRID })), { minLength: 3, maxLength: 6 }), {
      numRuns: 500,
      seed: 42,
    });
    const simple = samples.filter((points) => referenceIsSimple(points)).length;
    expect(simple).toBeGreaterThan(50);
    expect(simple).toBeLessThan(450);
  });
});

describe('zone and mask polygons in a site config', () => {
  const site = (zones: unknown, masks: unknown = []): unknown => ({
    version: 1,
    site: { id: 's' },
    mqtt: { urls: ['mqtt://127.0.0.1:1883'] },
    cameras: [{ id: 'c', source: { url: 'x.mp4' }, zones, privacyMasks: masks }],
  });

  it('reports every bad polygon at once, each at its path', () => {
    const result = parseSiteConfig(
      site(
        [
          {
            id: 'bowtie',
            polygon: [
              [0, 0],
              [1, 1],
              [1, 0],
              [0, 1],
            ],
          },
          {
            id: 'ok',
            polygon: [
              [0, 0],
              [1, 0],
              [1, 1],
            ],
          },
          {
            id: 'flat',
            polygon: [
              [0, 0],
              [0.5, 0.5],
              [1, 1],
            ],
          },
        ],
        [
          {
            id: 'spike',
            polygon: [
              [0, 0],
              [1, 0],
              [0.5, 0],
              [0.5, 1],
            ],
          },
        ],
      ),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect([...result.errors].sort()).toEqual([
      'cameras[0].privacyMasks[0].polygon: the polygon folds back on itself at point 1',
      'cameras[0].zones[0].polygon: edges 0-1 and 2-3 cross or touch; the polygon must not intersect itself',
      'cameras[0].zones[2].polygon: the polygon has no area (its points are collinear)',
    ]);
  });

  it(`caps a polygon at ${MAX_POLYGON_POINTS} points`, () => {
    const circle = (n: number): number[][] =>
      Array.from({ length: n }, (_, i) => [0.5 + 0.4 * Math.cos((2 * Math.PI * i) / n), 0.5 + 0.4 * Math.sin((2 * Math.PI * i) / n)]);
    expect(parseSiteConfig(site([{ id: 'round', polygon: circle(MAX_POLYGON_POINTS) }])).ok).toBe(true);
    const result = parseSiteConfig(site([{ id: 'round', polygon: circle(MAX_POLYGON_POINTS + 1) }]));
    expect(result.ok ? [] : result.errors).toEqual([expect.stringMatching(/^cameras\[0\]\.zones\[0\]\.polygon: a polygon may have at most 256 points/)]);
  });
});
