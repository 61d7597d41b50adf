import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeLetterbox } from '../../../../pipelines/detect/letterbox.js';
import { PrivacyMasker } from '../../../../pipelines/privacy/PrivacyMasker.js';
import { dropMaskedDetections, fillMaskedPixels, rasteriseMasks, type MaskPolygon } from '../../../../pipelines/privacy/privacyMask.js';
import { pointInPolygon } from '../../../../pipelines/geometry.js';
import type { Detection, Frame, Letterbox, Point } from '../../../../pipelines/types.js';

const PAD = 114;

/** Reference: every pixel centre mapped to source coordinates and tested on its own. */
function referenceCovered(
  masks: readonly MaskPolygon[],
  letterbox: Letterbox & { scaledWidth: number; scaledHeight: number },
  width: number,
  height: number,
): Uint8Array {
  const covered = new Uint8Array(width * height);
  const sx = letterbox.scale * letterbox.sourceWidth;
  const sy = letterbox.scale * letterbox.sourceHeight;
  for (let y = 0; y < letterbox.scaledHeight; y++) {
    for (let x = 0; x < letterbox.scaledWidth; x++) {
      const centre: Point = [(x + 0.5) / sx, (y + 0.5) / sy];
      if (masks.some((mask) => pointInPolygon(centre, mask.polygon))) covered[y * width + x] = 1;
    }
  }
  return covered;
}

function rasterCovered(masks: readonly MaskPolygon[], letterbox: Letterbox, width: number, height: number): Uint8Array {
  const covered = new Uint8Array(width * height);
  const { runs } = rasteriseMasks(masks, letterbox, width, height);
  for (let r = 0; r < runs.length; r += 2) covered.fill(1, runs[r], runs[r + 1]);
  return covered;
}

function frameOf(width: number, height: number, letterbox: Letterbox, fill = 7): Frame {
  return { cameraId: 'cam', seq: 1, captureTime: 0, width, height, pixels: new Uint8Array(width * height * 3).fill(fill), letterbox };
}

const unitPoint = fc.tuple(fc.double({ min: -0.2, max: 1.2, noNaN: true }), fc.double({ min: -0.2, max: 1.2, noNaN: true })) as fc.Arbitrary<Point>;

describe('privacy mask raster', () => {
  it('covers exactly the pixels whose centre pointInPolygon puts in a mask (random polygons and letterboxes)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(unitPoint, { minLength: 3, maxLength: 8 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 8, max: 120 }),
        fc.integer({ min: 8, max: 120 }),
        fc.integer({ min: 16, max: 64 }),
        fc.integer({ min: 16, max: 64 }),
        (polygons, sourceWidth, sourceHeight, width, height) => {
          const masks = polygons.map((polygon, i) => ({ id: `m${i}`, polygon }));
          const letterbox = computeLetterbox(sourceWidth, sourceHeight, width, height);
          expect(rasterCovered(masks, letterbox, width, height)).toEqual(referenceCovered(masks, letterbox, width, height));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('covers nothing for a sliver of mask left of the picture (fast-check counterexample, seed -1008854061)', () => {
    // Row 0 crosses the sliver at x = -0.025 and -0.008: columns -2 to -1, wholly outside the
    // picture. The span was once clamped after the emptiness check and came out as [0, -1): a
    // run to 2^32 - 1 that painted the whole frame from the top-left corner.
    const masks: MaskPolygon[] = [
      {
        id: 'sliver',
        polygon: [
          [0, 0.016826923076923083],
          [0, 0],
          [0, 0.015350877192982459],
          [-0.19999999999999948, 0],
        ],
      },
    ];
    const letterbox = computeLetterbox(28, 16, 60, 34);
    const raster = rasteriseMasks(masks, letterbox, 60, 34);
    expect(raster.maskedPixels).toBe(0);
    expect([...raster.runs]).toEqual([]);
    expect(rasterCovered(masks, letterbox, 60, 34)).toEqual(referenceCovered(masks, letterbox, 60, 34));
  });

  it('fills the masked pixels with the pad value and leaves the rest, padding included', () => {
    // 768x576 into 416x416: the image is 416x312, rows 312.. are padding
    const letterbox = computeLetterbox(768, 576, 416, 416);
    const frame = frameOf(416, 416, letterbox);
    const topLeftQuarter: MaskPolygon = {
      id: 'q',
      polygon: [
        [0, 0],
        [0.5, 0],
        [0.5, 0.5],
        [0, 0.5],
      ],
    };
    const raster = rasteriseMasks([topLeftQuarter], letterbox, 416, 416);
    fillMaskedPixels(frame.pixels, raster, PAD);
    const at = (x: number, y: number): number[] => [...frame.pixels.subarray((y * 416 + x) * 3, (y * 416 + x) * 3 + 3)];
    expect(at(0, 0)).toEqual([PAD, PAD, PAD]);
    expect(at(207, 155)).toEqual([PAD, PAD, PAD]);
    expect(at(208, 155)).toEqual([7, 7, 7]);
    expect(at(207, 156)).toEqual([7, 7, 7]);
    expect(at(300, 300)).toEqual([7, 7, 7]);
    expect(raster.maskedPixels).toBe(208 * 156);
  });

  it('blanks a mask over the whole frame without touching the padding rows', () => {
    const letterbox = computeLetterbox(768, 576, 416, 416);
    const all: MaskPolygon = {
      id: 'all',
      polygon: [
        [-0.1, -0.1],
        [1.1, -0.1],
        [1.1, 1.1],
        [-0.1, 1.1],
      ],
    };
    expect(rasteriseMasks([all], letterbox, 416, 416).maskedPixels).toBe(416 * 312);
  });
});

describe('PrivacyMasker', () => {
  const window: MaskPolygon = {
    id: 'window',
    polygon: [
      [0.6, 0.1],
      [0.9, 0.1],
      [0.9, 0.4],
      [0.6, 0.4],
    ],
  };

  it('rasterises once per letterbox, not once per frame', () => {
    const masker = new PrivacyMasker([window], PAD);
    const a = computeLetterbox(768, 576, 64, 64);
    for (let i = 0; i < 5; i++) masker.apply(frameOf(64, 64, a));
    expect(masker.rasterisations).toBe(1);
    const b = computeLetterbox(1920, 1080, 64, 64);
    const blanked = masker.apply(frameOf(64, 64, b));
    expect(masker.rasterisations).toBe(2);
    expect(blanked).toBeGreaterThan(0);
  });

  it('drops detections anchored in a mask, with the mask and reason, and keeps the rest', () => {
    const person = (box: Detection['box']): Detection => ({ label: 'person', classId: 0, score: 0.9, box });
    const inWindow = person([0.7, 0.1, 0.8, 0.3]); // feet at (0.75, 0.3)
    const headInWindow = person([0.7, 0.3, 0.8, 0.6]); // feet below the mask
    const { kept, dropped } = dropMaskedDetections([inWindow, headInWindow], [window]);
    expect(kept).toEqual([headInWindow]);
    expect(dropped).toEqual([{ detection: inWindow, maskId: 'window', reason: 'privacy_mask' }]);
  });

  it('does nothing without masks', () => {
    const masker = new PrivacyMasker([], PAD);
    const frame = frameOf(8, 8, computeLetterbox(8, 8, 8, 8));
    expect(masker.apply(frame)).toBe(0);
    expect(frame.pixels.every((v) => v === 7)).toBe(true);
    expect(masker.rasterisations).toBe(0);
  });
});
