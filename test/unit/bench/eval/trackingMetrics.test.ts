import { describe, expect, it } from 'vitest';
import { sumTrackingMetrics, trackingMetrics, type FrameBoxes } from '../../../../bench/eval/trackingMetrics.js';
import type { Box } from '../../../../pipelines/types.js';

// Coordinates are multiples of 1/8, so areas and IoUs are exact in binary floating point.
const A: Box = [0, 0, 0.25, 0.25];
const B: Box = [0.5, 0.5, 0.75, 0.75];
const FAR: Box = [0.875, 0, 1, 0.125];
/** IoU with A: 0.03125 / 0.0625 = 0.5 exactly, on the threshold */
const HALF_A: Box = [0, 0, 0.25, 0.125];

describe('trackingMetrics', () => {
  it('counts matches, misses, false positives and id switches, and IDF1 from the best one-to-one pairing (worked by hand)', () => {
    const frames: FrameBoxes[] = [
      {
        truth: [
          { id: 'a', box: A },
          { id: 'b', box: B },
        ],
        tracks: [
          { id: 1, box: A },
          { id: 2, box: B },
        ],
      },
      {
        truth: [
          { id: 'a', box: A },
          { id: 'b', box: B },
        ],
        tracks: [
          { id: 1, box: A },
          { id: 2, box: B },
        ],
      },
      // the two tracks swap objects: a switch for a and one for b
      {
        truth: [
          { id: 'a', box: A },
          { id: 'b', box: B },
        ],
        tracks: [
          { id: 2, box: A },
          { id: 1, box: B },
        ],
      },
      // b gone; track 2 on a at IoU 0.5 (counts), track 3 on nothing
      {
        truth: [{ id: 'a', box: A }],
        tracks: [
          { id: 2, box: HALF_A },
          { id: 3, box: FAR },
        ],
      },
    ];
    const m = trackingMetrics(frames, 0.5);
    expect(m).toMatchObject({ frames: 4, truthBoxes: 7, trackBoxes: 8, truthIds: 2, trackIds: 3, matches: 7, misses: 0, falsePositives: 1, idSwitches: 2 });
    // MOTA = 1 - (0 + 1 + 2) / 7
    expect(m.mota).toBeCloseTo(4 / 7, 12);
    // MOTP: six matches at IoU 1, one at 0.5
    expect(m.motp).toBeCloseTo(6.5 / 7, 12);
    // frames together: (a,1) 2, (a,2) 2, (b,2) 2, (b,1) 1; best pairing a-1 + b-2 = 4 (a-2 + b-1 = 3)
    expect(m).toMatchObject({ idtp: 4, idfn: 3, idfp: 4 });
    expect(m.idf1).toBeCloseTo(8 / 15, 12);
    expect(m.idp).toBeCloseTo(0.5, 12);
    expect(m.idr).toBeCloseTo(4 / 7, 12);
  });

  it('keeps the last correspondence while it still overlaps enough, even when another track overlaps more', () => {
    const near: Box = [0, 0, 0.25, 0.1875]; // IoU 0.75 with A
    const m = trackingMetrics([
      { truth: [{ id: 'a', box: A }], tracks: [{ id: 1, box: A }] },
      {
        truth: [{ id: 'a', box: A }],
        tracks: [
          { id: 1, box: near },
          { id: 2, box: A },
        ],
      },
    ]);
    expect(m).toMatchObject({ matches: 2, idSwitches: 0, falsePositives: 1, misses: 0 });
  });

  it('counts a switch against the last track an object had, across frames where it was not seen', () => {
    const m = trackingMetrics([
      { truth: [{ id: 'a', box: A }], tracks: [{ id: 1, box: A }] },
      { truth: [{ id: 'a', box: A }], tracks: [] },
      { truth: [{ id: 'a', box: A }], tracks: [{ id: 2, box: A }] },
    ]);
    expect(m).toMatchObject({ matches: 2, misses: 1, falsePositives: 0, idSwitches: 1, idtp: 1 });
    expect(m.mota).toBeCloseTo(1 - 2 / 3, 12);
    expect(m.idf1).toBeCloseTo(2 / 5, 12);
  });

  it('does not match below the IoU threshold', () => {
    const m = trackingMetrics([{ truth: [{ id: 'a', box: A }], tracks: [{ id: 1, box: [0, 0, 0.25, 0.0625] }] }]); // IoU 0.25
    expect(m).toMatchObject({ matches: 0, misses: 1, falsePositives: 1, idtp: 0, idf1: 0 });
    expect(m.mota).toBe(-1);
  });

  it('sums runs by their counts and recomputes the ratios from the sums', () => {
    const perfect = trackingMetrics([{ truth: [{ id: 'a', box: A }], tracks: [{ id: 1, box: A }] }]);
    const empty = trackingMetrics([{ truth: [{ id: 'a', box: A }], tracks: [] }]);
    const total = sumTrackingMetrics([perfect, empty]);
    expect(total).toMatchObject({ frames: 2, truthBoxes: 2, matches: 1, misses: 1, idtp: 1, mota: 0.5 });
    expect(total.idf1).toBeCloseTo(2 / 3, 12);
  });
});
