import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeLetterbox, modelBoxToSource, sourceBoxToModel } from '../../../../pipelines/detect/letterbox.js';
import type { Box } from '../../../../pipelines/types.js';

describe('computeLetterbox', () => {
  it('fits 768x576 into 416x416 as 416x312 with 104 rows of padding', () => {
    const lb = computeLetterbox(768, 576, 416, 416);
    expect(lb).toMatchObject({ scaledWidth: 416, scaledHeight: 312, padX: 0, padY: 104, sourceWidth: 768, sourceHeight: 576 });
    expect(lb.scale).toBeCloseTo(416 / 768, 12);
  });

  it('pads on the right for a portrait source', () => {
    const lb = computeLetterbox(1080, 1920, 416, 416);
    expect(lb.scaledHeight).toBe(416);
    expect(lb.padY).toBe(0);
    expect(lb.scaledWidth).toBe(234);
    expect(lb.padX).toBe(182);
  });

  it('rejects empty sizes', () => {
    expect(() => computeLetterbox(0, 576, 416, 416)).toThrow(RangeError);
  });

  it('always fits the image inside the input and touches one edge', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 4096 }),
        fc.integer({ min: 16, max: 4096 }),
        fc.integer({ min: 32, max: 1280 }),
        fc.integer({ min: 32, max: 1280 }),
        (sw, sh, iw, ih) => {
          const lb = computeLetterbox(sw, sh, iw, ih);
          expect(lb.padX).toBeGreaterThanOrEqual(0);
          expect(lb.padY).toBeGreaterThanOrEqual(0);
          expect(lb.padX === 0 || lb.padY === 0).toBe(true);
          expect(lb.scaledWidth + lb.padX).toBe(iw);
          expect(lb.scaledHeight + lb.padY).toBe(ih);
        },
      ),
    );
  });
});

describe('box mapping', () => {
  it('maps the scaled image corner to (1, 1) and clamps the padding', () => {
    const lb = computeLetterbox(768, 576, 416, 416);
    expect(modelBoxToSource(0, 0, 416, 312, lb)).toEqual([0, 0, 1, 1]);
    expect(modelBoxToSource(-10, -10, 416, 416, lb)).toEqual([0, 0, 1, 1]);
  });

  it('round-trips normalised source boxes through model pixels', () => {
    const unit = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 4096 }),
        fc.integer({ min: 16, max: 4096 }),
        fc.integer({ min: 32, max: 1280 }),
        fc.integer({ min: 32, max: 1280 }),
        unit,
        unit,
        unit,
        unit,
        (sw, sh, iw, ih, a, b, c, d) => {
          const lb = computeLetterbox(sw, sh, iw, ih);
          const box: Box = [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)];
          const model = sourceBoxToModel(box, lb);
          const back = modelBoxToSource(model[0], model[1], model[2], model[3], lb);
          for (let i = 0; i < 4; i++) expect(back[i]).toBeCloseTo(box[i]!, 9);
        },
      ),
    );
  });
});
