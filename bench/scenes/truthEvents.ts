import type { Keyframe, Point } from './scenePath.js';

/**
 * The events a scene's rules must produce, worked out from the scripted foot paths alone, with
 * plain analytic geometry of their own: nothing here calls the agent's rule or geometry code, so
 * a bug there cannot hide in the truth.
 */

export type CrossingDirection = 'in' | 'out';

/**
 * z of (to - from) x (p - from) in screen coordinates (y down): positive on the right of the
 * directed line as seen on screen, which is where an `in` crossing ends.
 */
function sideOf(p: Point, from: Point, to: Point): number {
  return (to[0] - from[0]) * (p[1] - from[1]) - (to[1] - from[1]) * (p[0] - from[0]);
}

/** Every time the foot path crosses the segment from→to: the exact time and which way. */
export function lineCrossings(keys: readonly Keyframe[], from: Point, to: Point): { time: number; direction: CrossingDirection }[] {
  const crossings: { time: number; direction: CrossingDirection }[] = [];
  for (let i = 1; i < keys.length; i++) {
    const a = keys[i - 1]!;
    const b = keys[i]!;
    const p0: Point = [a.x, a.y];
    const p1: Point = [b.x, b.y];
    const s0 = sideOf(p0, from, to);
    const s1 = sideOf(p1, from, to);
    // Strictly opposite sides; a path that only touches the line does not cross it.
    if (!(s0 * s1 < 0)) continue;
    const s = s0 / (s0 - s1);
    const hit: Point = [p0[0] + s * (p1[0] - p0[0]), p0[1] + s * (p1[1] - p0[1])];
    // Inside the segment, not on the infinite line through it.
    const dx = to[0] - from[0];
    const dy = to[1] - from[1];
    const u = ((hit[0] - from[0]) * dx + (hit[1] - from[1]) * dy) / (dx * dx + dy * dy);
    if (u < 0 || u > 1) continue;
    crossings.push({ time: a.t + s * (b.t - a.t), direction: s1 > 0 ? 'in' : 'out' });
  }
  return crossings;
}

/** Even-odd ray casting: whether p is inside the polygon. */
export function insidePolygon(p: Point, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Parameters s in (0, 1) where segment p0→p1 meets an edge of the polygon. */
function edgeHits(p0: Point, p1: Point, polygon: readonly Point[]): number[] {
  const hits: number[] = [];
  const rx = p1[0] - p0[0];
  const ry = p1[1] - p0[1];
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const q0 = polygon[j]!;
    const q1 = polygon[i]!;
    const sx = q1[0] - q0[0];
    const sy = q1[1] - q0[1];
    const denominator = rx * sy - ry * sx;
    if (denominator === 0) continue;
    const s = ((q0[0] - p0[0]) * sy - (q0[1] - p0[1]) * sx) / denominator;
    const u = ((q0[0] - p0[0]) * ry - (q0[1] - p0[1]) * rx) / denominator;
    if (s > 0 && s < 1 && u >= 0 && u <= 1) hits.push(s);
  }
  return hits.sort((x, y) => x - y);
}

/**
 * The intervals during which the foot point is inside the polygon, `[enter, exit]` in seconds;
 * `exit` undefined when the path ends inside. A path that starts inside enters at its first keyframe.
 */
export function zoneIntervals(keys: readonly Keyframe[], polygon: readonly Point[]): { enter: number; exit: number | undefined }[] {
  const intervals: { enter: number; exit: number | undefined }[] = [];
  let open: number | undefined;
  const mark = (time: number, inside: boolean): void => {
    if (inside && open === undefined) open = time;
    if (!inside && open !== undefined) {
      intervals.push({ enter: open, exit: time });
      open = undefined;
    }
  };
  const first = keys[0];
  if (!first) return [];
  mark(first.t, insidePolygon([first.x, first.y], polygon));
  for (let i = 1; i < keys.length; i++) {
    const a = keys[i - 1]!;
    const b = keys[i]!;
    const p0: Point = [a.x, a.y];
    const p1: Point = [b.x, b.y];
    const cuts = [0, ...edgeHits(p0, p1, polygon), 1];
    for (let k = 1; k < cuts.length; k++) {
      // The state between two cuts is the state at their midpoint; it starts at the earlier cut.
      const mid = (cuts[k - 1]! + cuts[k]!) / 2;
      mark(a.t + cuts[k - 1]! * (b.t - a.t), insidePolygon([p0[0] + mid * (p1[0] - p0[0]), p0[1] + mid * (p1[1] - p0[1])], polygon));
    }
  }
  if (open !== undefined) intervals.push({ enter: open, exit: undefined });
  return intervals;
}

/** Loitering starts `dwell` seconds after each entry whose stay lasts at least that long (and before `end`). */
export function loiteringStarts(intervals: readonly { enter: number; exit: number | undefined }[], dwell: number, end: number): number[] {
  return intervals.filter((v) => (v.exit ?? end) - v.enter >= dwell && v.enter + dwell <= end).map((v) => v.enter + dwell);
}

/**
 * Crowd events from every actor's zone intervals: a crowd is a run of time with at least
 * `minCount` actors inside; it starts `minDuration` seconds into the run (runs shorter than that
 * never start) and ends when the count drops below `minCount` (undefined when still on at `end`).
 */
export function crowdEvents(
  intervals: readonly (readonly { enter: number; exit: number | undefined }[])[],
  minCount: number,
  minDuration: number,
  end: number,
): { start: number; end: number | undefined }[] {
  const changes: { time: number; delta: number }[] = [];
  for (const actor of intervals) {
    for (const v of actor) {
      changes.push({ time: v.enter, delta: 1 });
      if (v.exit !== undefined) changes.push({ time: v.exit, delta: -1 });
    }
  }
  // At one instant, leaving before entering: a swap of members is no crowd.
  changes.sort((x, y) => x.time - y.time || x.delta - y.delta);
  const events: { start: number; end: number | undefined }[] = [];
  let count = 0;
  let since: number | undefined;
  for (const change of changes) {
    count += change.delta;
    if (count >= minCount && since === undefined) since = change.time;
    if (count < minCount && since !== undefined) {
      if (change.time - since >= minDuration) events.push({ start: since + minDuration, end: change.time });
      since = undefined;
    }
  }
  if (since !== undefined && end - since >= minDuration) events.push({ start: since + minDuration, end: undefined });
  // What happens after the clip's end is not in the clip.
  return events.filter((e) => e.start <= end).map((e) => (e.end !== undefined && e.end > end ? { start: e.start, end: undefined } : e));
}
