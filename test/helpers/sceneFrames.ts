import { computeLetterbox } from '../../pipelines/detect/letterbox.js';
import type { Frame, Letterbox } from '../../pipelines/types.js';

/**
 * Synthetic letterboxed BGR24 frames for motion tests: a textured 768x576 scene fitted into a
 * 416x416 model input (image 416x312, padding 114 below), with optional dark boxes as objects
 * and a brightness factor for lighting changes.
 */

export const SCENE_WIDTH = 416;
export const SCENE_HEIGHT = 416;
export const sceneLetterbox: Letterbox = (() => {
  const { scale, padX, padY, sourceWidth, sourceHeight } = computeLetterbox(768, 576, SCENE_WIDTH, SCENE_HEIGHT);
  return { scale, padX, padY, sourceWidth, sourceHeight };
})();
const IMAGE_HEIGHT = SCENE_HEIGHT - sceneLetterbox.padY;

/** A box in model pixels: x, y, width, height. */
export interface SceneBox {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface SceneOptions {
  readonly objects?: readonly SceneBox[];
  /** multiplies every image pixel (a lamp switched on: 1.5) */
  readonly brightness?: number;
  /** replaces the texture with its inverse, as an IR cut filter flipping at dusk roughly does */
  readonly infrared?: boolean;
  /** adds up to this many grey levels of per-pixel noise (sensor noise) */
  readonly noise?: number;
  readonly seed?: number;
}

/** A deterministic texture: smooth gradients plus a checker of 24 px tiles, 40..200 grey. */
function texture(x: number, y: number): [number, number, number] {
  const tile = ((Math.floor(x / 24) + Math.floor(y / 24)) % 2) * 40;
  const base = 60 + ((x * 0.2 + y * 0.15) % 80) + tile;
  return [base, base + 10, base - 10];
}

export function sceneFrame(cameraId: string, seq: number, captureTime: number, options: SceneOptions = {}): Frame {
  const pixels = new Uint8Array(SCENE_WIDTH * SCENE_HEIGHT * 3).fill(114);
  const brightness = options.brightness ?? 1;
  let seed = options.seed ?? seq;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let y = 0; y < IMAGE_HEIGHT; y++) {
    for (let x = 0; x < SCENE_WIDTH; x++) {
      let [b, g, r] = texture(x, y);
      if (options.objects?.some((box) => x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h)) [b, g, r] = [20, 25, 30];
      if (options.infrared) [b, g, r] = [255 - g, 255 - g, 255 - g];
      const jitter = options.noise ? (random() - 0.5) * 2 * options.noise : 0;
      const p = (y * SCENE_WIDTH + x) * 3;
      pixels[p] = clampByte(b * brightness + jitter);
      pixels[p + 1] = clampByte(g * brightness + jitter);
      pixels[p + 2] = clampByte(r * brightness + jitter);
    }
  }
  return { cameraId, seq, captureTime, width: SCENE_WIDTH, height: SCENE_HEIGHT, pixels, letterbox: sceneLetterbox };
}

function clampByte(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
}
