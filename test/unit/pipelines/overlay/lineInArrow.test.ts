import { describe, expect, it } from 'vitest';
import { lineInArrow } from '../../../../pipelines/overlay/lineInArrow.js';
import type { Point } from '../../../../pipelines/types.js';
import { policyCamera, PolicyScene } from '../../../helpers/policyScene.js';

/**
 * The rule's definition (rulesSchema.ts): `in` is a crossing from the left of the line, walking
 * from `from` to `to`, to its right, as seen on screen (y grows downwards). Walking right along a
 * horizontal line on screen, your right hand points down; walking down, it points left.
 */
describe('lineInArrow', () => {
  it('points down for a horizontal line drawn left to right (hand: right of "walking east" on screen is south)', () => {
    const arrow = lineInArrow([0.2, 0.5], [0.8, 0.5], 1000, 500, 40)!;
    expect(arrow.base).toEqual([500, 250]);
    expect(arrow.tip[0]).toBeCloseTo(500, 9);
    expect(arrow.tip[1]).toBeCloseTo(290, 9);
    // the head's back corners: a third of the way back from the tip, either side of the shaft
    expect(arrow.head.map((p) => [Math.round(p[0] * 1000) / 1000, Math.round(p[1] * 1000) / 1000]).sort((a, b) => a[0]! - b[0]!)).toEqual([
      [500 - 40 / 6, 290 - 40 / 3].map((v) => Math.round(v * 1000) / 1000),
      [500 + 40 / 6, 290 - 40 / 3].map((v) => Math.round(v * 1000) / 1000),
    ]);
  });

  it('points up when the same line is drawn right to left', () => {
    const arrow = lineInArrow([0.8, 0.5], [0.2, 0.5], 1000, 500, 40)!;
    expect(arrow.tip[1]).toBeCloseTo(210, 9);
  });

  it('points left for a vertical line drawn top to bottom (right of "walking south" is west)', () => {
    const arrow = lineInArrow([0.5, 0.1], [0.5, 0.9], 640, 480, 30)!;
    expect(arrow.base).toEqual([320, 240]);
    expect(arrow.tip[0]).toBeCloseTo(290, 9);
    expect(arrow.tip[1]).toBeCloseTo(240, 9);
  });

  it('is at right angles in pixels on a non-square image, not in normalised units', () => {
    // from (0,0) to (1,1) on 200x100 pixels: the line runs (200,100), its pixel normal is (-100,200)/|.|;
    // the right of "walking down-right" on screen is down-left.
    const arrow = lineInArrow([0, 0], [1, 1], 200, 100, Math.hypot(100, 200) / 10)!;
    expect(arrow.base).toEqual([100, 50]);
    expect(arrow.tip[0]).toBeCloseTo(90, 9);
    expect(arrow.tip[1]).toBeCloseTo(70, 9);
  });

  it('has no arrow for a line of zero length', () => {
    expect(lineInArrow([0.3, 0.3], [0.3, 0.3], 100, 100, 10)).toBeUndefined();
  });

  it.each<[string, Point, Point]>([
    ['horizontal', [0.1, 0.5], [0.9, 0.5]],
    ['reversed', [0.9, 0.5], [0.1, 0.5]],
    ['diagonal', [0.2, 0.8], [0.7, 0.1]],
    ['steep', [0.45, 0.05], [0.55, 0.95]],
  ])('a track walking along the arrow of a %s line is an `in` crossing for the line_crossing rule', (_name, from, to) => {
    const width = 1280;
    const height = 720;
    const arrow = lineInArrow(from, to, width, height, 150)!;
    const s = new PolicyScene(
      policyCamera({
        lines: [{ id: 'l', from, to }],
        rules: [{ id: 'r', type: 'line_crossing', line: 'l', labels: ['person'], direction: 'in', minDisplacement: 0.02 }],
      }),
    );
    // from the mirror image of the tip (the `out` side) to the tip, in pixels, then normalised
    const start: Point = [2 * arrow.base[0] - arrow.tip[0], 2 * arrow.base[1] - arrow.tip[1]];
    for (let k = 0; k <= 10; k += 1) {
      const x = start[0] + ((arrow.tip[0] - start[0]) * k) / 10;
      const y = start[1] + ((arrow.tip[1] - start[1]) * k) / 10;
      s.step([{ id: 1, at: [x / width, y / height] }]);
    }
    expect(s.history()).toContain('6: r#1 start matched');
    expect(s.history().some((line) => line.includes('wrong_direction'))).toBe(false);
  });
});
