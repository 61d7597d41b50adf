import { pointInPolygon } from '../geometry.js';
import type { Point } from '../types.js';

/**
 * Where a zone's or mask's name goes, in normalised coordinates: the polygon's area centroid when
 * that lies inside it (any convex shape, most others); for a C or L shape whose centroid falls
 * outside, the middle of the inside run of the horizontal line through the centroid that is
 * nearest to it, so the name still sits on the shape it names; the first vertex as a last resort.
 */
export function polygonLabelPoint(polygon: readonly Point[]): Point {
  const centroid = areaCentroid(polygon);
  if (centroid && pointInPolygon(centroid, polygon)) return centroid;
  const y = centroid?.[1] ?? polygon[0]?.[1] ?? 0;
  const x = centroid?.[0] ?? 0;
  // Edges crossing the horizontal line at y, in x order: inside runs are between pairs (even-odd).
  const crossings: number[] = [];
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y) crossings.push(((xj - xi) * (y - yi)) / (yj - yi) + xi);
  }
  crossings.sort((a, b) => a - b);
  let best: Point | undefined;
  for (let k = 0; k + 1 < crossings.length; k += 2) {
    const middle: Point = [(crossings[k]! + crossings[k + 1]!) / 2, y];
    if (!best || Math.abs(middle[0] - x) < Math.abs(best[0] - x)) best = middle;
  }
  return best ?? polygon[0] ?? [0, 0];
}

/** The shoelace centroid; undefined for a polygon of zero area. */
function areaCentroid(polygon: readonly Point[]): Point | undefined {
  let twiceArea = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    const cross = xj * yi - xi * yj;
    twiceArea += cross;
    cx += (xj + xi) * cross;
    cy += (yj + yi) * cross;
  }
  if (twiceArea === 0) return undefined;
  return [cx / (3 * twiceArea), cy / (3 * twiceArea)];
}
