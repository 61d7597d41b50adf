import type { RgbImage, Sprite } from './rgbImage.js';

/** A box in source pixels, [x1, y1) to [x2, y2): x2 and y2 are one past the last column and row. */
export interface PixelBox {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export interface CutOptions {
  /** a pixel is foreground when some channel differs from the plate by more than this (0..255) */
  readonly threshold: number;
  /** pixels added around the detector's box before cutting: its box is not pixel-exact */
  readonly margin: number;
  /** reject the cut when the mask covers less than this share of the detector's box */
  readonly minFill: number;
}

export const DEFAULT_CUT: CutOptions = { threshold: 28, margin: 6, minFill: 0.3 };

/** One 3x3 binary morphology pass: erode keeps a pixel when all its neighbours in the region are set, dilate when any is. */
function morph(mask: Uint8Array, width: number, height: number, erode: boolean): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let any = false;
      let all = true;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          // Beyond the region is unknown, not background: an object cut by the region's edge stays cut there.
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const set = mask[ny * width + nx] === 1;
          any ||= set;
          all &&= set;
        }
      }
      out[y * width + x] = (erode ? all : any) ? 1 : 0;
    }
  }
  return out;
}

/** Flood fill from `seeds` over pixels whose mask value is `value`; returns the visited set. */
function flood(mask: Uint8Array, width: number, height: number, value: number, seeds: readonly number[]): Uint8Array {
  const seen = new Uint8Array(mask.length);
  const stack: number[] = [];
  for (const seed of seeds) {
    if (mask[seed] === value && !seen[seed]) {
      seen[seed] = 1;
      stack.push(seed);
    }
  }
  while (stack.length > 0) {
    const at = stack.pop()!;
    const x = at % width;
    const y = (at - x) / width;
    const next = [x > 0 ? at - 1 : -1, x < width - 1 ? at + 1 : -1, y > 0 ? at - width : -1, y < height - 1 ? at + width : -1];
    for (const n of next) {
      if (n >= 0 && !seen[n] && mask[n] === value) {
        seen[n] = 1;
        stack.push(n);
      }
    }
  }
  return seen;
}

/**
 * The foreground mask of an object in `box`: pixels that differ from the background plate by
 * more than `threshold`, opened (specks of noise go) then closed (gaps in clothing that matches
 * the ground close), the largest 4-connected part kept (a neighbour's elbow goes), and its holes
 * filled. Returns a mask of the region (box plus margin, clipped to the frame) and that region.
 */
export function foregroundMask(frame: RgbImage, plate: RgbImage, box: PixelBox, options: CutOptions = DEFAULT_CUT): { mask: Uint8Array; region: PixelBox } {
  const region = {
    x1: Math.max(0, Math.floor(box.x1) - options.margin),
    y1: Math.max(0, Math.floor(box.y1) - options.margin),
    x2: Math.min(frame.width, Math.ceil(box.x2) + options.margin),
    y2: Math.min(frame.height, Math.ceil(box.y2) + options.margin),
  };
  const width = region.x2 - region.x1;
  const height = region.y2 - region.y1;
  let mask: Uint8Array = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = ((region.y1 + y) * frame.width + region.x1 + x) * 3;
      let diff = 0;
      for (let c = 0; c < 3; c++) diff = Math.max(diff, Math.abs(frame.data[i + c]! - plate.data[i + c]!));
      mask[y * width + x] = diff > options.threshold ? 1 : 0;
    }
  }
  mask = morph(morph(mask, width, height, true), width, height, false);
  mask = morph(morph(mask, width, height, false), width, height, true);

  // Largest 4-connected component.
  const labelled = new Uint8Array(mask.length);
  let best: Uint8Array | undefined;
  let bestSize = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== 1 || labelled[i]) continue;
    const part = flood(mask, width, height, 1, [i]);
    let size = 0;
    for (let j = 0; j < part.length; j++) {
      if (part[j]) {
        labelled[j] = 1;
        size += 1;
      }
    }
    if (size > bestSize) {
      best = part;
      bestSize = size;
    }
  }
  if (!best) return { mask: new Uint8Array(mask.length), region };
  // Holes: background pixels the border cannot reach.
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(x, (height - 1) * width + x);
  for (let y = 0; y < height; y++) border.push(y * width, y * width + width - 1);
  const outside = flood(best, width, height, 0, border);
  const filled = new Uint8Array(mask.length);
  for (let i = 0; i < filled.length; i++) filled[i] = best[i] || !outside[i] ? 1 : 0;
  return { mask: filled, region };
}

/**
 * Cuts the object in `box` out of `frame` as a sprite cropped to its mask's tight bounds, with
 * those bounds in frame pixels; undefined when the mask fills too little of the box (the object
 * matches the ground, or it was a false detection) or touches the region's edge (it runs on into
 * a neighbour or off the frame).
 */
export function cutSprite(
  frame: RgbImage,
  plate: RgbImage,
  box: PixelBox,
  options: CutOptions = DEFAULT_CUT,
): { sprite: Sprite; bounds: PixelBox } | undefined {
  const { mask, region } = foregroundMask(frame, plate, box, options);
  const width = region.x2 - region.x1;
  const height = region.y2 - region.y1;
  let x1 = width;
  let y1 = height;
  let x2 = 0;
  let y2 = 0;
  let count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      count += 1;
      x1 = Math.min(x1, x);
      y1 = Math.min(y1, y);
      x2 = Math.max(x2, x + 1);
      y2 = Math.max(y2, y + 1);
    }
  }
  const boxArea = (box.x2 - box.x1) * (box.y2 - box.y1);
  if (count === 0 || count < options.minFill * boxArea) return undefined;
  if (x1 === 0 || y1 === 0 || x2 === width || y2 === height) return undefined;
  const w = x2 - x1;
  const h = y2 - y1;
  const rgb = new Uint8Array(w * h * 3);
  const alpha = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const m = (y + y1) * width + x + x1;
      const src = ((region.y1 + y + y1) * frame.width + region.x1 + x + x1) * 3;
      rgb.set(frame.data.subarray(src, src + 3), (y * w + x) * 3);
      alpha[y * w + x] = mask[m] ? 255 : 0;
    }
  }
  return { sprite: { width: w, height: h, rgb, alpha }, bounds: { x1: region.x1 + x1, y1: region.y1 + y1, x2: region.x1 + x2, y2: region.y1 + y2 } };
}
