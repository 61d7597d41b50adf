import { describe, expect, it } from 'vitest';
import { MAX_PIXEL_HINTS, pixelCoordinateHints } from '../../../../pipelines/config/pixelCoordinateHints.js';

const HINT = 'coordinates are fractions of the frame width and height, 0..1; divide x by the width and y by the height';

describe('pixelCoordinateHints', () => {
  it('says once per shape that coordinates above 1 look like pixels, with the largest x and y', () => {
    const document = {
      cameras: [
        {
          id: 'ok',
          zones: [
            {
              id: 'a',
              polygon: [
                [0.1, 0.1],
                [0.9, 0.1],
                [0.5, 0.9],
              ],
            },
          ],
        },
        {
          id: 'pixels',
          zones: [
            {
              id: 'walk',
              polygon: [
                [64, 36],
                [640, 36],
                [320, 300],
              ],
            },
          ],
          privacyMasks: [
            {
              id: 'win',
              polygon: [
                [0.5, 0],
                [1, 0],
                [1, 120],
              ],
            },
          ],
          lines: [{ id: 'kerb', from: [0.05, 0.5], to: [1280, 0.5] }],
        },
      ],
    };
    expect(pixelCoordinateHints(document)).toEqual([
      `cameras[1].zones[0].polygon: looks like pixels (x up to 640, y up to 300): ${HINT}`,
      `cameras[1].privacyMasks[0].polygon: looks like pixels (y up to 120): ${HINT}`,
      `cameras[1].lines[0]: looks like pixels (x up to 1280): ${HINT}`,
    ]);
  });

  it('has nothing to say about normalised shapes, a missing camera list or odd values', () => {
    expect(
      pixelCoordinateHints({
        cameras: [
          {
            zones: [
              {
                polygon: [
                  [0, 0],
                  [1, 0],
                  [1, 1],
                ],
              },
            ],
            lines: [{ from: 'x', to: null }],
          },
        ],
      }),
    ).toEqual([]);
    expect(pixelCoordinateHints(null)).toEqual([]);
    expect(pixelCoordinateHints({ cameras: 'many' })).toEqual([]);
  });

  it('stops at MAX_PIXEL_HINTS lines', () => {
    const zones = Array.from({ length: 50 }, (_, i) => ({
      id: `z${i}`,
      polygon: [
        [10, 10],
        [20, 10],
        [20, 20],
      ],
    }));
    expect(pixelCoordinateHints({ cameras: [{ zones }] })).toHaveLength(MAX_PIXEL_HINTS);
  });
});
