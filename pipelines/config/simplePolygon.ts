/**
 * Whether a zone or mask polygon is simple: at least three distinct points, a non-zero area, and
 * no two edges meeting anywhere but at the vertex they share. A self-intersecting "bow tie" or a
 * polygon folded back on itself has no single inside, so point-in-polygon answers would depend on
 * the rule used to count crossings, and an operator would not get the zone they drew.
 *
 * Pure and O(n^2) in the number of points; the schema caps that number (MAX_POLYGON_POINTS), so a
 * config cannot make validation slow.
 */

export type PolygonPoint = readonly [number, number];

/** Far more than a hand-drawn zone or mask needs; 256 points take about 33k edge-pair tests. */
export const MAX_POLYGON_POINTS = 256;

/**
 * Twice the area below which a polygon is degenerate. Coordinates are fractions of the frame
 * (0..1), so this is about a millionth of a pixel on a 4K frame: only collinear points reach it.
 */
const MIN_DOUBLE_AREA = 1e-12;

/** Why the polygon is not simple (a message naming the points or edges), or undefined when it is. */
export function polygonProblem(points: readonly PolygonPoint[]): string | undefined {
  const n = points.length;
  if (n < 3) return 'a polygon needs at least 3 points';
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i += 1) {
    const key = `${points[i]![0]},${points[i]![1]}`;
    const first = seen.get(key);
    if (first !== undefined) return `point ${i} repeats point ${first} (${key}); a polygon's points must all differ`;
    seen.set(key, i);
  }
  if (allOnOneLine(points)) return 'the polygon has no area (its points are collinear)';
  for (let i = 0; i < n; i += 1) {
    const previous = points[(i + n - 1) % n]!;
    const here = points[i]!;
    const next = points[(i + 1) % n]!;
    // Edges sharing a vertex meet elsewhere only when they run back along each other.
    if (cross(previous, here, next) === 0 && dot(previous, here, next) < 0) return `the polygon folds back on itself at point ${i}`;
  }
  for (let i = 0; i < n; i += 1) {
    // Edge i runs from point i to point i+1; edges i-1 and i+1 share a vertex with it and were checked above.
    for (let j = i + 2; j < n; j += 1) {
      if (i === 0 && j === n - 1) continue;
      if (segmentsMeet(points[i]!, points[(i + 1) % n]!, points[j]!, points[(j + 1) % n]!)) {
        return `edges ${i}-${(i + 1) % n} and ${j}-${(j + 1) % n} cross or touch; the polygon must not intersect itself`;
      }
    }
  }
  // Simple but thinner than any pixel (points collinear up to rounding).
  if (Math.abs(doubleArea(points)) <= MIN_DOUBLE_AREA) return 'the polygon has no area (its points are collinear)';
  return undefined;
}

/** Every point on the line through the first two (which differ: repeats were refused before). */
function allOnOneLine(points: readonly PolygonPoint[]): boolean {
  return points.every((point) => side(points[0]!, points[1]!, point) === 0);
}

/** Shoelace formula: twice the signed area. */
function doubleArea(points: readonly PolygonPoint[]): number {
  let sum = 0;
  for (let i = 0; i < points.length; i += 1) {
    const [x1, y1] = points[i]!;
    const [x2, y2] = points[(i + 1) % points.length]!;
    sum += x1 * y2 - x2 * y1;
  }
  return sum;
}

/** z of (b - a) x (c - b): > 0 a left turn at b, < 0 a right turn, 0 straight on or back. */
function cross(a: PolygonPoint, b: PolygonPoint, c: PolygonPoint): number {
  return (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]);
}

/** (b - a) . (c - b): negative when the path turns back at b. */
function dot(a: PolygonPoint, b: PolygonPoint, c: PolygonPoint): number {
  return (b[0] - a[0]) * (c[0] - b[0]) + (b[1] - a[1]) * (c[1] - b[1]);
}

/** Which side of the line through a and b the point c is on: 1, -1, or 0 on the line. */
function side(a: PolygonPoint, b: PolygonPoint, c: PolygonPoint): number {
  return Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));
}

/** Whether c, known to be on the line through a and b, lies within the segment's bounding box. */
function withinBox(a: PolygonPoint, b: PolygonPoint, c: PolygonPoint): boolean {
  return Math.min(a[0], b[0]) <= c[0] && c[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= c[1] && c[1] <= Math.max(a[1], b[1]);
}

/** Whether the closed segments ab and cd share any point (crossing, touching or overlapping). */
function segmentsMeet(a: PolygonPoint, b: PolygonPoint, c: PolygonPoint, d: PolygonPoint): boolean {
  const s1 = side(c, d, a);
  const s2 = side(c, d, b);
  const s3 = side(a, b, c);
  const s4 = side(a, b, d);
  if (s1 * s2 < 0 && s3 * s4 < 0) return true;
  return (s1 === 0 && withinBox(c, d, a)) || (s2 === 0 && withinBox(c, d, b)) || (s3 === 0 && withinBox(a, b, c)) || (s4 === 0 && withinBox(a, b, d));
}
