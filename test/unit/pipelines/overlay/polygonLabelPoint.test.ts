import { describe, expect, it } from 'vitest';
import { polygonLabelPoint } from '../../../../pipelines/overlay/polygonLabelPoint.js';

describe('polygonLabelPoint', () => {
  it('is the centre of a rectangle', () => {
    const [x, y] = polygonLabelPoint([
      [0.2, 0.4],
      [0.6, 0.4],
      [0.6, 0.8],
      [0.2, 0.8],
    ]);
    expect(x).toBeCloseTo(0.4, 12);
    expect(y).toBeCloseTo(0.6, 12);
  });

  it('is the centroid of a triangle (mean of its corners)', () => {
    const [x, y] = polygonLabelPoint([
      [0, 0],
      [0.9, 0],
      [0, 0.6],
    ]);
    expect(x).toBeCloseTo(0.3, 12);
    expect(y).toBeCloseTo(0.2, 12);
  });

  it('stays on a C shape whose centroid falls in the gap', () => {
    // a C open to the right: outer box 0..1 x 0..1, bar 0..0.2 thick; the centroid (x about 0.39) is in the gap
    const c = [
      [0, 0],
      [1, 0],
      [1, 0.2],
      [0.2, 0.2],
      [0.2, 0.8],
      [1, 0.8],
      [1, 1],
      [0, 1],
    ] as const;
    const [x, y] = polygonLabelPoint(c);
    // on the horizontal through the centroid (y = 0.5) the only inside run is the spine, x 0..0.2
    expect(y).toBeCloseTo(0.5, 12);
    expect(x).toBeCloseTo(0.1, 12);
  });
});
