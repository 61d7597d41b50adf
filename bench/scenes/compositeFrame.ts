import type { RgbImage, Sprite } from './rgbImage.js';

/** One sprite at a place in the frame: its top-left pixel, and its depth (larger is nearer). */
export interface Layer {
  /** the actor it shows; occluders (scenery drawn over actors) have none */
  readonly actorId?: string;
  readonly sprite: Sprite;
  readonly x: number;
  readonly y: number;
  /** the foot row in pixels: a layer whose feet are lower in the image is nearer the camera */
  readonly depth: number;
}

/**
 * Draws the layers onto a copy of the plate, far to near (depth ascending; ties in the given
 * order), each pixel where the sprite's alpha is set. Returns the frame and, per actor, the share
 * of its sprite's pixels (inside the frame or not) that are still visible at the end: a person
 * behind another, or behind the lamp post, is partly hidden.
 */
export function compositeFrame(plate: RgbImage, layers: readonly Layer[]): { frame: RgbImage; visibility: Map<string, number> } {
  const { width, height } = plate;
  const data = new Uint8Array(plate.data);
  // The layer that owns each pixel: -1 the plate, else an index into `ordered`.
  const owner = new Int32Array(width * height).fill(-1);
  const ordered = layers.map((layer, index) => ({ layer, index })).sort((a, b) => a.layer.depth - b.layer.depth || a.index - b.index);
  const total = new Map<string, number>();
  ordered.forEach(({ layer }, k) => {
    const { sprite, x: left, y: top } = layer;
    let pixels = 0;
    for (let sy = 0; sy < sprite.height; sy++) {
      const y = top + sy;
      for (let sx = 0; sx < sprite.width; sx++) {
        if (sprite.alpha[sy * sprite.width + sx]! < 128) continue;
        pixels += 1;
        const x = left + sx;
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        const at = y * width + x;
        const src = (sy * sprite.width + sx) * 3;
        data[at * 3] = sprite.rgb[src]!;
        data[at * 3 + 1] = sprite.rgb[src + 1]!;
        data[at * 3 + 2] = sprite.rgb[src + 2]!;
        owner[at] = k;
      }
    }
    if (layer.actorId !== undefined) total.set(layer.actorId, (total.get(layer.actorId) ?? 0) + pixels);
  });
  const shown = new Map<string, number>();
  for (let at = 0; at < owner.length; at++) {
    const k = owner[at]!;
    if (k < 0) continue;
    const id = ordered[k]!.layer.actorId;
    if (id !== undefined) shown.set(id, (shown.get(id) ?? 0) + 1);
  }
  const visibility = new Map<string, number>();
  for (const [id, pixels] of total) visibility.set(id, pixels === 0 ? 0 : (shown.get(id) ?? 0) / pixels);
  return { frame: { width, height, data }, visibility };
}
