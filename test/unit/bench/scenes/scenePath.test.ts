import { describe, expect, it } from 'vitest';
import { fitHeightModel, placementBox, placeSprite, positionAt } from '../../../../bench/scenes/scenePath.js';

describe('positionAt', () => {
  const keys = [
    { t: 0, x: 0, y: 0 },
    { t: 10, x: 1, y: 0.5 },
    { t: 12, x: 1, y: 0.5 },
  ];
  it('interpolates between keyframes, stands where two share a place, and is absent outside them', () => {
    expect(positionAt(keys, 5)).toEqual([0.5, 0.25]);
    expect(positionAt(keys, 11)).toEqual([1, 0.5]);
    expect(positionAt(keys, 0)).toEqual([0, 0]);
    expect(positionAt(keys, 12)).toEqual([1, 0.5]);
    expect(positionAt(keys, -0.1)).toBeUndefined();
    expect(positionAt(keys, 12.1)).toBeUndefined();
  });
});

describe('placeSprite', () => {
  it('scales by the height model and puts the bottom-centre on the foot point, in whole pixels', () => {
    // height 0.2 * row: 60 px at row 300, 86.4 px at row 432 (0.75 of 576): scale 1.44
    const place = placeSprite({ width: 20, height: 50 }, 300, [0.5, 0.75], { a: 0, b: 0.2 }, { width: 768, height: 576 });
    // 28.8 -> 29 wide, 72 tall; left = round(384 - 14.5) = 370; top = 432 - 72
    expect(place).toEqual({ x: 370, y: 360, width: 29, height: 72 });
    expect(placementBox(place, { width: 768, height: 576 })).toEqual([370 / 768, 360 / 576, 399 / 768, 432 / 576]);
  });

  it('clips the box to the frame', () => {
    expect(placementBox({ x: -10, y: 500, width: 30, height: 100 }, { width: 768, height: 576 })).toEqual([0, 500 / 576, 20 / 768, 1]);
  });
});

describe('fitHeightModel', () => {
  it('recovers a straight line through the samples', () => {
    const model = fitHeightModel(
      [100, 200, 300].map((footY) => ({ footY, height: 10 + 0.25 * footY })),
      { a: 1, b: 1 },
    );
    expect(model.a).toBeCloseTo(10, 9);
    expect(model.b).toBeCloseTo(0.25, 12);
  });

  it('falls back when the rows are too close together to say anything, or the slope is not positive', () => {
    const fallback = { a: 20, b: 0.2 };
    expect(fitHeightModel([{ footY: 300, height: 60 }], fallback)).toBe(fallback);
    expect(
      fitHeightModel(
        [
          { footY: 300, height: 60 },
          { footY: 305, height: 90 },
        ],
        fallback,
      ),
    ).toBe(fallback);
    expect(
      fitHeightModel(
        [
          { footY: 100, height: 90 },
          { footY: 300, height: 60 },
        ],
        fallback,
      ),
    ).toBe(fallback);
  });
});
