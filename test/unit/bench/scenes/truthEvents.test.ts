import { describe, expect, it } from 'vitest';
import type { Keyframe, Point } from '../../../../bench/scenes/scenePath.js';
import { crowdEvents, insidePolygon, lineCrossings, loiteringStarts, zoneIntervals } from '../../../../bench/scenes/truthEvents.js';

const k = (t: number, x: number, y: number): Keyframe => ({ t, x, y });
// A line drawn down the screen: walking from `from` to `to` faces down, so its right is screen-left.
const FROM: Point = [0.3, 0.4];
const TO: Point = [0.3, 0.85];
const SQUARE: Point[] = [
  [0.2, 0.2],
  [0.6, 0.2],
  [0.6, 0.6],
  [0.2, 0.6],
];

describe('lineCrossings', () => {
  it('finds the time of each crossing and its direction: rightwards is out of this line, back leftwards is in', () => {
    // x = 0.1 + 0.04 t reaches 0.3 at t = 5; back from 0.5 at 10 to 0.1 at 20 reaches 0.3 at t = 15
    const crossings = lineCrossings([k(0, 0.1, 0.5), k(10, 0.5, 0.5), k(20, 0.1, 0.5)], FROM, TO);
    expect(crossings.map((c) => c.direction)).toEqual(['out', 'in']);
    expect(crossings[0]!.time).toBeCloseTo(5, 12);
    expect(crossings[1]!.time).toBeCloseTo(15, 12);
  });

  it('ignores a path that only touches the line, stands on it, or passes beyond the end of the segment', () => {
    expect(lineCrossings([k(0, 0.1, 0.5), k(5, 0.3, 0.5), k(8, 0.3, 0.5), k(10, 0.1, 0.5)], FROM, TO)).toEqual([]);
    expect(lineCrossings([k(0, 0.1, 0.2), k(10, 0.5, 0.2)], FROM, TO)).toEqual([]);
    expect(lineCrossings([k(0, 0.5, 0.5), k(10, 0.5, 0.7)], FROM, TO)).toEqual([]);
  });
});

describe('zoneIntervals', () => {
  it('gives the entry and exit times of a path through the zone', () => {
    // x = 0.1 t: the edge x = 0.2 at t = 2, x = 0.6 at t = 6
    const [only, ...rest] = zoneIntervals([k(0, 0, 0.4), k(10, 1, 0.4)], SQUARE);
    expect(rest).toEqual([]);
    expect(only!.enter).toBeCloseTo(2, 12);
    expect(only!.exit).toBeCloseTo(6, 12);
  });

  it('enters at the first keyframe when it starts inside, and leaves no exit when it ends inside', () => {
    expect(zoneIntervals([k(3, 0.3, 0.3), k(8, 0.5, 0.5)], SQUARE)).toEqual([{ enter: 3, exit: undefined }]);
  });

  it('sees two visits as two intervals', () => {
    // in at x = 0.2 (t = 1), out at x = 0.6 (t = 3); back in at x = 0.6 (t = 5), out at x = 0.2 (t = 7)
    const visits = zoneIntervals([k(0, 0, 0.4), k(4, 0.8, 0.4), k(8, 0, 0.4)], SQUARE);
    expect(visits).toHaveLength(2);
    expect(visits.map((v) => [v.enter, v.exit!].map((t) => Math.round(t * 1e9) / 1e9))).toEqual([
      [1, 3],
      [5, 7],
    ]);
  });

  it('agrees with a point-in-polygon test at the midpoints', () => {
    expect(insidePolygon([0.4, 0.4], SQUARE)).toBe(true);
    expect(insidePolygon([0.7, 0.4], SQUARE)).toBe(false);
  });
});

describe('loiteringStarts', () => {
  it('starts dwell seconds after each entry whose stay lasts that long, before the clip ends', () => {
    expect(loiteringStarts([{ enter: 2, exit: 6 }], 3, 20)).toEqual([5]);
    expect(loiteringStarts([{ enter: 2, exit: 6 }], 5, 20)).toEqual([]);
    expect(loiteringStarts([{ enter: 8, exit: undefined }], 6, 20)).toEqual([14]);
    expect(loiteringStarts([{ enter: 8, exit: undefined }], 6, 12)).toEqual([]);
  });
});

describe('crowdEvents', () => {
  it('starts minDuration after the count reaches minCount and ends when it drops below', () => {
    // counts: 1 from 0, 2 from 1, 3 from 2, 4 from 3, 3 from 8, 2 from 9
    const intervals = [[{ enter: 0, exit: 10 }], [{ enter: 1, exit: 9 }], [{ enter: 2, exit: 8 }], [{ enter: 3, exit: undefined }]];
    expect(crowdEvents(intervals, 3, 2, 20)).toEqual([{ start: 4, end: 9 }]);
    // a crowd of 4 from 3 is still on when the clip ends at 7; one that would start after the end is not there
    expect(crowdEvents(intervals, 4, 2, 7)).toEqual([{ start: 5, end: undefined }]);
    expect(crowdEvents(intervals, 4, 2, 4.5)).toEqual([]);
  });

  it('has no crowd for a run shorter than minDuration', () => {
    expect(crowdEvents([[{ enter: 0, exit: 5 }], [{ enter: 0, exit: 5 }], [{ enter: 1, exit: 2.5 }]], 3, 2, 20)).toEqual([]);
  });
});
