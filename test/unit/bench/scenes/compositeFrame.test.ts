import { describe, expect, it } from 'vitest';
import { compositeFrame } from '../../../../bench/scenes/compositeFrame.js';
import type { RgbImage, Sprite } from '../../../../bench/scenes/rgbImage.js';

const plate: RgbImage = { width: 8, height: 6, data: new Uint8Array(8 * 6 * 3) };
const solid = (width: number, height: number, rgb: [number, number, number], holes: number[] = []): Sprite => ({
  width,
  height,
  rgb: new Uint8Array(Array.from({ length: width * height }, () => rgb).flat()),
  alpha: new Uint8Array(Array.from({ length: width * height }, (_, i) => (holes.includes(i) ? 0 : 255))),
});
const pixel = (image: RgbImage, x: number, y: number): number[] => [...image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3)];

describe('compositeFrame', () => {
  // red: 2x3 at (1, 1), its top-left pixel transparent; green: 2x2 at (2, 2), feet lower so nearer
  const red = { actorId: 'red', sprite: solid(2, 3, [200, 0, 0], [0]), x: 1, y: 1, depth: 4 };
  const green = { actorId: 'green', sprite: solid(2, 2, [0, 200, 0]), x: 2, y: 2, depth: 4.5 };

  it('puts each sprite where it is placed, nearer over farther whatever the order given, transparent pixels showing the plate', () => {
    const { frame, visibility } = compositeFrame(plate, [green, red]);
    expect(pixel(frame, 1, 1)).toEqual([0, 0, 0]); // red's transparent corner
    expect(pixel(frame, 2, 1)).toEqual([200, 0, 0]);
    expect(pixel(frame, 1, 3)).toEqual([200, 0, 0]);
    expect(pixel(frame, 2, 2)).toEqual([0, 200, 0]); // both there: green is nearer
    expect(pixel(frame, 3, 3)).toEqual([0, 200, 0]);
    expect(pixel(frame, 4, 4)).toEqual([0, 0, 0]);
    // red has 5 opaque pixels, green covers 2 of them: (2, 2) and (2, 3)
    expect(visibility.get('red')).toBeCloseTo(3 / 5, 12);
    expect(visibility.get('green')).toBe(1);
    // the plate itself is untouched
    expect(plate.data.every((v) => v === 0)).toBe(true);
  });

  it('counts the part of a sprite beyond the frame edge as hidden', () => {
    const { frame, visibility } = compositeFrame(plate, [{ actorId: 'edge', sprite: solid(4, 2, [0, 0, 200]), x: 6, y: 0, depth: 2 }]);
    expect(pixel(frame, 7, 1)).toEqual([0, 0, 200]);
    expect(visibility.get('edge')).toBe(0.5);
  });

  it('lets scenery without an actor hide actors behind it', () => {
    const post = { sprite: solid(1, 6, [9, 9, 9]), x: 2, y: 0, depth: 5 };
    const { frame, visibility } = compositeFrame(plate, [red, post]);
    expect(pixel(frame, 2, 2)).toEqual([9, 9, 9]);
    expect(visibility.get('red')).toBeCloseTo(2 / 5, 12);
  });
});
