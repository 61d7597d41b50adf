import { describe, expect, it } from 'vitest';
import { countCrossings, switchesPerTenCrossings, type TruthFrameBoxes } from '../../../../bench/eval/truthCrossings.js';

/** A box 0.1 wide and 0.2 tall with its left edge at x. */
const box = (x: number): [number, number, number, number] => [x, 0.4, x + 0.1, 0.6];
const frame = (...boxes: [id: string, x: number, visibility?: number][]): TruthFrameBoxes => ({
  boxes: boxes.map(([id, x, visibility = 1]) => ({ id, box: box(x), visibility })),
});
const people = new Set(['a', 'b', 'c']);

describe('countCrossings', () => {
  it('counts one crossing for two people walking through each other, however many frames they overlap', () => {
    // a walks right, b left: their boxes overlap on frames 2 to 4, b hidden behind a on frame 3
    const frames = [
      frame(['a', 0.2], ['b', 0.5]),
      frame(['a', 0.32], ['b', 0.38]),
      frame(['a', 0.35], ['b', 0.35, 0.2]),
      frame(['a', 0.38], ['b', 0.32]),
      frame(['a', 0.5], ['b', 0.2]),
    ];
    expect(countCrossings(frames, people, 0.5)).toBe(1);
  });

  it('counts a second episode of the same pair once they have come apart and meet again', () => {
    const frames = [frame(['a', 0.2], ['b', 0.25]), frame(['a', 0.2], ['b', 0.5]), frame(['a', 0.2], ['b', 0.25]), frame(['a', 0.2], ['b', 0.25])];
    expect(countCrossings(frames, people, 0.5)).toBe(2);
  });

  it('counts each overlapping pair: three people in one spot are three crossings', () => {
    expect(countCrossings([frame(['a', 0.2], ['b', 0.22], ['c', 0.24])], people, 0.5)).toBe(3);
  });

  it('does not count an overlap where one of the two is never at least half visible, nor objects that are not people', () => {
    expect(countCrossings([frame(['a', 0.2], ['b', 0.25, 0.4]), frame(['a', 0.2], ['b', 0.25, 0.3])], people, 0.5)).toBe(0);
    expect(countCrossings([frame(['a', 0.2], ['van', 0.25])], people, 0.5)).toBe(0);
  });

  it('ends an episode when one of the two leaves the scene', () => {
    const frames = [frame(['a', 0.2], ['b', 0.25]), frame(['a', 0.2]), frame(['a', 0.2], ['b', 0.25])];
    expect(countCrossings(frames, people, 0.5)).toBe(2);
  });
});

describe('switchesPerTenCrossings', () => {
  it('is ten times switches over crossings, null without crossings', () => {
    expect(switchesPerTenCrossings(3, 20)).toBe(1.5);
    expect(switchesPerTenCrossings(0, 0)).toBeNull();
  });
});
