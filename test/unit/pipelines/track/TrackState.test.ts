import { describe, expect, it } from 'vitest';
import { TrackState } from '../../../../pipelines/track/TrackState.js';
import type { Box, Detection } from '../../../../pipelines/types.js';

const at = (x: number, y = 0.4): Box => [x, y, x + 0.1, y + 0.2];
const det = (x: number, label = 'person', score = 0.9, y = 0.4): Detection => ({ label, classId: label === 'person' ? 0 : 2, score, box: at(x, y) });

/** Seen at x = 0.1, 0.12, 0.14 at 0 / 200 / 400 ms: moving right at 1e-4 per ms. */
function movingRight(): TrackState {
  const track = new TrackState(det(0.1), 0, 0, undefined);
  track.extend(det(0.12), 200, 30);
  track.extend(det(0.14), 400, 30);
  return track;
}

describe('TrackState', () => {
  it('measures its velocity between observed boxes, smoothing after the first step', () => {
    const track = new TrackState(det(0.1), 0, 0, undefined);
    track.extend(det(0.12), 200, 30);
    expect(track.vx).toBeCloseTo(1e-4, 12);
    // back 0.01 in 200 ms (-5e-5 per ms): half the old velocity plus half the new
    track.extend(det(0.11), 400, 30);
    expect(track.vx).toBeCloseTo(0.5 * 1e-4 + 0.5 * -5e-5, 12);
    expect(track.vy).toBe(0);
  });

  it('takes the velocity of a whole gap from the two sightings around it', () => {
    const track = movingRight();
    // unseen for 1 s, found 0.06 further on: 6e-5 per ms over the gap, smoothed with 1e-4
    track.extend(det(0.2), 1400, 30);
    expect(track.vx).toBeCloseTo(0.5 * 1e-4 + 0.5 * 6e-5, 12);
  });

  it('measures velocity from confident boxes only: a half-hidden low-score box moves the track but not its velocity', () => {
    const track = movingRight();
    // cut off at the bottom (behind someone): centre 0.1 higher, score under highScore
    track.extend({ label: 'person', classId: 0, score: 0.2, box: [0.16, 0.4, 0.26, 0.5] }, 600, 30, false);
    expect(track.vx).toBeCloseTo(1e-4, 12);
    expect(track.vy).toBe(0);
    expect(track.box).toEqual([0.16, 0.4, 0.26, 0.5]);
    expect(track.sureBox).toEqual(at(0.14));
    // the next confident box is measured against the last confident one: 0.04 in 400 ms
    track.extend(det(0.18), 800, 30);
    expect(track.vx).toBeCloseTo(1e-4, 12);
    expect(track.vy).toBeCloseTo(0, 12);
  });

  it('predicts along the velocity, for at most maxMs', () => {
    const track = movingRight();
    expect(track.predictedBox(900)[0]).toBeCloseTo(0.14 + 1e-4 * 500, 12);
    expect(track.predictedBox(5400, 1500)[0]).toBeCloseTo(0.14 + 1e-4 * 1500, 12);
  });

  it('scores direction 0 along the motion, 0.5 across it, 1 against it, and 0 without a direction', () => {
    const track = movingRight();
    expect(track.directionCost(at(0.16), 1e-6)).toBeCloseTo(0, 12);
    expect(track.directionCost(at(0.14, 0.5), 1e-6)).toBeCloseTo(0.5, 12);
    expect(track.directionCost(at(0.12), 1e-6)).toBeCloseTo(1, 12);
    // slower than the minimum speed: no direction to keep
    expect(track.directionCost(at(0.12), 1e-3)).toBe(0);
    // two sightings are not enough to trust a direction
    const young = new TrackState(det(0.1), 0, 0, undefined);
    young.extend(det(0.12), 200, 30);
    expect(young.directionCost(at(0.1), 1e-6)).toBe(0);
  });

  it('reports the label of most frames, its class id, and its group', () => {
    const track = new TrackState(det(0.5, 'car', 0.6), 0, 3, 'vehicle');
    track.extend({ label: 'truck', classId: 7, score: 0.9, box: at(0.5) }, 200, 30);
    // one frame each: truck's 0.9 beats car's 0.6
    expect(track.snapshot()).toMatchObject({ label: 'truck', classId: 7, group: 'vehicle' });
    track.extend(det(0.5, 'car', 0.6), 400, 30);
    expect(track.snapshot()).toMatchObject({ label: 'car', classId: 2, group: 'vehicle' });
    expect('group' in new TrackState(det(0.1), 0, 0, undefined).snapshot()).toBe(false);
  });

  it('remembers its usual height: the median of its last 10 confident boxes, low-score ones left out', () => {
    const tall = (h: number, score = 0.9): Detection => ({ label: 'person', classId: 0, score, box: [0.1, 0.6 - h, 0.15, 0.6] });
    const track = new TrackState(tall(0.2), 0, 0, undefined);
    expect(track.usualHeight).toBeCloseTo(0.2, 12);
    track.extend(tall(0.1), 200, 30);
    // two heights, 0.2 and 0.1: the mean of the middle two
    expect(track.usualHeight).toBeCloseTo(0.15, 12);
    for (const [i, h] of [0.2, 0.2, 0.16].entries()) track.extend(tall(h), 400 + i * 200, 30);
    // 0.2, 0.1, 0.2, 0.2, 0.16 -> sorted 0.1, 0.16, 0.2, 0.2, 0.2
    expect(track.usualHeight).toBeCloseTo(0.2, 12);
    track.extend(tall(0.05, 0.2), 1000, 30, false);
    expect(track.usualHeight).toBeCloseTo(0.2, 12);
    // eight more at 0.12: the last ten are 0.2, 0.16 and eight of 0.12
    for (let i = 0; i < 8; i++) track.extend(tall(0.12), 1200 + i * 200, 30);
    expect(track.usualHeight).toBeCloseTo(0.12, 12);
  });

  describe('stands an object whose box is cut short from below where its usual height puts its feet', () => {
    // a person 0.2 tall, top at 0.3, feet at 0.5, centre x 0.125
    const box = (top: number, bottom: number): Detection => ({ label: 'person', classId: 0, score: 0.9, box: [0.1, top, 0.15, bottom] });
    const standing = (): TrackState => {
      const track = new TrackState(box(0.3, 0.5), 0, 0, undefined);
      track.extend(box(0.3, 0.5), 200, 30);
      return track;
    };

    it('a passer-by hides the legs: the feet stay 0.2 below the top, then the whole box is back', () => {
      const track = standing();
      // cut to 0.3..0.4 (half the usual height, top in place): feet at 0.3 + 0.2
      track.extend({ ...box(0.3, 0.4), score: 0.3 }, 400, 30, false);
      expect(track.anchors.at(-1)![0]).toBeCloseTo(0.125, 12);
      expect(track.anchors.at(-1)![1]).toBeCloseTo(0.5, 12);
      // still cut on the next frame, the top 0.01 lower (within 0.2 x 0.2 of the whole top)
      track.extend({ ...box(0.31, 0.41), score: 0.3 }, 600, 30, false);
      expect(track.anchors.at(-1)![1]).toBeCloseTo(0.51, 12);
      track.extend(box(0.31, 0.52), 800, 30);
      expect(track.anchors.at(-1)![1]).toBeCloseTo(0.52, 12);
    });

    it('keeps the bottom of a box that shrank from the top (sitting down) or is barely shorter', () => {
      const sitting = standing();
      // top 0.12 lower, more than 0.2 x 0.2: not a cut, the feet are where the box ends
      sitting.extend(box(0.42, 0.5), 400, 30);
      expect(sitting.anchors.at(-1)![1]).toBeCloseTo(0.5, 12);
      const shorter = standing();
      // 0.17 is 85 % of 0.2, above the 80 % a cut needs
      shorter.extend(box(0.3, 0.47), 400, 30);
      expect(shorter.anchors.at(-1)![1]).toBeCloseTo(0.47, 12);
    });

    it('never puts the feet below the frame', () => {
      // 0.25 tall with its top at 0.75, then cut to 0.76..0.8 by something in front: 0.76 + 0.25 is past the edge
      const track = new TrackState(box(0.75, 1), 0, 0, undefined);
      track.extend({ ...box(0.76, 0.8), score: 0.3 }, 200, 30, false);
      expect(track.anchors.at(-1)![1]).toBe(1);
    });
  });

  it('bounds its score and anchor history', () => {
    const track = new TrackState(det(0.1, 'person', 0.1), 0, 0, undefined);
    for (let i = 1; i <= 5; i++) track.extend(det(0.1, 'person', 0.1 + i / 10), i * 200, 3);
    expect(track.snapshot().scores.map((s) => Math.round(s * 10))).toEqual([4, 5, 6]);
    expect(track.snapshot().anchors).toHaveLength(3);
  });
});
