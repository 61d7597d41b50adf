import { describe, expect, it } from 'vitest';
import { relinkCost } from '../../../../pipelines/track/relinkCost.js';
import { TrackState } from '../../../../pipelines/track/TrackState.js';
import type { Box } from '../../../../pipelines/types.js';

const gates = { maxDistance: 1, maxSizeRatio: 1.5, maxExtrapolationMs: 1500 };
/** a box 0.05 wide and `h` high with its top-left at (x, y) */
const box = (x: number, y = 0.4, h = 0.2): Box => [x, y, x + 0.05, y + h];

/** A track seen at x = 0.1, 0.11, 0.12 at 0 / 200 / 400 ms: 0.01 per 200 ms, so vx = 5e-5 per ms. */
function walker(): TrackState {
  const track = new TrackState({ label: 'person', classId: 0, score: 0.9, box: box(0.1) }, 0, 0, undefined);
  track.extend({ label: 'person', classId: 0, score: 0.9, box: box(0.11) }, 200, 30);
  track.extend({ label: 'person', classId: 0, score: 0.9, box: box(0.12) }, 400, 30);
  return track;
}

describe('relinkCost', () => {
  it('is 0 at the predicted position', () => {
    // 1000 ms after the last sighting the prediction is 0.12 + 5e-5 x 1000 = 0.17
    expect(relinkCost(walker(), box(0.17), 1400, gates)).toBeCloseTo(0, 9);
  });

  it('measures the distance in box heights, to the nearer of prediction and last sighting', () => {
    // 0.1 right of the prediction (0.17): 0.1 / 0.2 = 0.5 box heights
    expect(relinkCost(walker(), box(0.27), 1400, gates)).toBeCloseTo(0.5, 9);
    // an object that stopped where it was last seen (0.12) is 0 from its last sighting
    expect(relinkCost(walker(), box(0.12), 1400, gates)).toBeCloseTo(0, 9);
  });

  it('extrapolates for at most maxExtrapolationMs', () => {
    // 3000 ms after the last sighting: the prediction stops at 1500 ms, 0.12 + 0.075 = 0.195
    expect(relinkCost(walker(), box(0.195), 3400, gates)).toBeCloseTo(0, 9);
    // the walker kept going to 0.27: 0.075 / 0.2 = 0.375 heights from the bounded prediction
    expect(relinkCost(walker(), box(0.27), 3400, gates)).toBeCloseTo(0.375, 9);
  });

  it('refuses a detection more than maxDistance box heights away', () => {
    // 0.21 from the prediction: 1.05 heights
    expect(relinkCost(walker(), box(0.38), 1400, gates)).toBe(Number.POSITIVE_INFINITY);
    expect(relinkCost(walker(), box(0.36), 1400, gates)).toBeCloseTo(0.95, 9);
  });

  it('adds ln of the height ratio and refuses a ratio above maxSizeRatio', () => {
    // 0.28 high against 0.2: ratio 1.4, same centre as the prediction (box centred on y 0.5)
    const taller: Box = [0.17, 0.36, 0.22, 0.64];
    // centres 0 apart; mean height 0.24
    expect(relinkCost(walker(), taller, 1400, gates)).toBeCloseTo(Math.log(1.4), 9);
    const muchTaller: Box = [0.17, 0.34, 0.22, 0.66];
    expect(relinkCost(walker(), muchTaller, 1400, gates)).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses a track whose predicted centre has left the frame', () => {
    // at the right edge, walking out: seen at x 0.9 and 0.93 (centres 0.925, 0.955), 1.5e-4 per ms
    const leaving = new TrackState({ label: 'person', classId: 0, score: 0.9, box: box(0.9) }, 0, 0, undefined);
    leaving.extend({ label: 'person', classId: 0, score: 0.9, box: box(0.93) }, 200, 30);
    // 400 ms later the prediction is 0.955 + 0.06 = 1.015: out; someone entering where it was last seen is not it
    expect(relinkCost(leaving, box(0.93), 600, gates)).toBe(Number.POSITIVE_INFINITY);
    // 200 ms later the prediction is 0.985, still in the frame: the last sighting is 0 away
    expect(relinkCost(leaving, box(0.93), 400, gates)).toBeCloseTo(0, 9);
  });

  it("compares the size with the track's last confident box when its last box was a cut-off one", () => {
    const track = walker();
    // half hidden at 600 ms: a low-score box of half the height
    track.extend({ label: 'person', classId: 0, score: 0.2, box: [0.13, 0.4, 0.18, 0.5] }, 600, 30, false);
    // whole again at 1000 ms, box(0.15), centre (0.175, 0.5): twice the cut box's height (refused by
    // that alone), as high as the last confident box(0.12), ratio 1. Nearest reference: that box's
    // centre (0.145, 0.5), 0.03 away = 0.15 heights (the prediction from the cut box, centre
    // (0.155 + 5e-5 x 400, 0.45), is 0.05 away)
    expect(relinkCost(track, box(0.15), 1000, gates)).toBeCloseTo(0.15, 9);
  });

  it('compares the size with the usual height when the confident boxes shrank as the object went behind something', () => {
    const track = walker();
    // behind a post from 600 ms, the detector still sure of it: 0.14 then 0.12 high, bottoms at 0.6
    track.extend({ label: 'person', classId: 0, score: 0.9, box: [0.13, 0.46, 0.18, 0.6] }, 600, 30);
    track.extend({ label: 'person', classId: 0, score: 0.9, box: [0.14, 0.48, 0.19, 0.6] }, 800, 30);
    // whole at 1000 ms, box(0.14), 0.2 high: 0.2 / 0.12 = 1.67 against the last box, over the gate,
    // but 1 against the usual height (median of 0.2, 0.2, 0.2, 0.14, 0.12). Centres: (0.165, 0.5)
    // and the last box's (0.165, 0.54), 0.04 apart; the prediction moves on down and right, farther.
    // Scale (0.12 + 0.2) / 2 = 0.16 heights: 0.04 / 0.16 = 0.25, plus ln 1.
    expect(relinkCost(track, box(0.14), 1000, gates)).toBeCloseTo(0.25, 9);

    // a track that was never more than 0.12 high is still refused the same box
    const small: Box = [0.12, 0.48, 0.17, 0.6];
    const short = new TrackState({ label: 'person', classId: 0, score: 0.9, box: small }, 0, 0, undefined);
    for (const t of [200, 400, 600, 800]) short.extend({ label: 'person', classId: 0, score: 0.9, box: small }, t, 30);
    expect(relinkCost(short, box(0.14), 1000, gates)).toBe(Number.POSITIVE_INFINITY);
  });
});
