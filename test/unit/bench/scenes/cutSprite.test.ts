import { describe, expect, it } from 'vitest';
import { cutSprite } from '../../../../bench/scenes/cutSprite.js';
import { medianPlate, resizeSprite, type RgbImage } from '../../../../bench/scenes/rgbImage.js';

const W = 40;
const H = 40;
const grey = (): RgbImage => ({ width: W, height: H, data: new Uint8Array(W * H * 3).fill(100) });
const paint = (image: RgbImage, x: number, y: number, value: number): void => void image.data.fill(value, (y * W + x) * 3, (y * W + x) * 3 + 3);

describe('cutSprite', () => {
  it('cuts the object to its tight bounds, fills a hole that matches the ground, and drops a speck of noise', () => {
    const plate = grey();
    const frame = grey();
    for (let y = 8; y < 30; y++) for (let x = 10; x < 20; x++) paint(frame, x, y, 200);
    paint(frame, 15, 20, 100); // a patch of clothing the colour of the ground
    paint(frame, 5, 5, 200); // one noisy pixel inside the cut region
    const cut = cutSprite(frame, plate, { x1: 9, y1: 7, x2: 21, y2: 31 });
    expect(cut?.bounds).toEqual({ x1: 10, y1: 8, x2: 20, y2: 30 });
    expect(cut?.sprite.width).toBe(10);
    expect(cut?.sprite.height).toBe(22);
    expect(cut?.sprite.alpha.every((a) => a === 255)).toBe(true);
    // the hole keeps the frame's own pixel
    expect([...cut!.sprite.rgb.subarray((12 * 10 + 5) * 3, (12 * 10 + 5) * 3 + 3)]).toEqual([100, 100, 100]);
  });

  it('refuses a box the mask barely fills, and an object that runs on past the cut region', () => {
    const plate = grey();
    const small = grey();
    for (let y = 10; y < 14; y++) for (let x = 10; x < 14; x++) paint(small, x, y, 200);
    expect(cutSprite(small, plate, { x1: 5, y1: 5, x2: 35, y2: 35 })).toBeUndefined();
    const long = grey();
    for (let y = 5; y < 40; y++) for (let x = 10; x < 20; x++) paint(long, x, y, 200);
    expect(cutSprite(long, plate, { x1: 10, y1: 5, x2: 20, y2: 20 })).toBeUndefined();
  });
});

describe('medianPlate and resizeSprite', () => {
  it('votes out what covers a pixel in fewer than half of the frames', () => {
    const frames = [0, 1, 2, 3, 4].map((i) => {
      const f = grey();
      if (i < 2) paint(f, 3, 3, 250);
      paint(f, 7, 7, 10 * i);
      return f;
    });
    const plate = medianPlate(frames);
    expect([...plate.data.subarray((3 * W + 3) * 3, (3 * W + 3) * 3 + 3)]).toEqual([100, 100, 100]);
    expect(plate.data[(7 * W + 7) * 3]).toBe(20);
  });

  it('keeps a solid sprite solid and binary at a new size', () => {
    const sprite = { width: 2, height: 2, rgb: new Uint8Array(12).fill(80), alpha: new Uint8Array(4).fill(255) };
    const big = resizeSprite(sprite, 5, 7);
    expect(big.width * big.height).toBe(35);
    expect(big.rgb.every((v) => v === 80)).toBe(true);
    expect(big.alpha.every((a) => a === 255)).toBe(true);
  });
});
