import sharp from 'sharp';
import { computeLetterbox } from '../../pipelines/detect/letterbox.js';
import type { Frame, Letterbox } from '../../pipelines/types.js';

export interface LetterboxedImage {
  readonly width: number;
  readonly height: number;
  /** packed BGR24, width * height * 3 bytes, as the ffmpeg ingest filter delivers it */
  readonly pixels: Uint8Array;
  readonly letterbox: Letterbox;
}

/**
 * Does to a still image what the ingest ffmpeg filter does to video: scale to fit the model
 * input keeping the aspect ratio (bicubic, ffmpeg's default), place it at the top-left, pad the
 * right and bottom with `padValue`, and emit raw BGR24.
 */
export async function letterboxImage(path: string, width: number, height: number, padValue = 114): Promise<LetterboxedImage> {
  const meta = await sharp(path).metadata();
  if (meta.width === undefined || meta.height === undefined) throw new Error(`${path}: no image size`);
  const lb = computeLetterbox(meta.width, meta.height, width, height);
  const { data, info } = await sharp(path)
    .removeAlpha()
    .resize(lb.scaledWidth, lb.scaledHeight, { fit: 'fill', kernel: 'cubic' })
    .extend({ top: 0, left: 0, right: lb.padX, bottom: lb.padY, background: { r: padValue, g: padValue, b: padValue } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new Error(`letterbox produced ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3`);
  }
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < pixels.length; i += 3) {
    pixels[i] = data[i + 2]!;
    pixels[i + 1] = data[i + 1]!;
    pixels[i + 2] = data[i]!;
  }
  const letterbox: Letterbox = {
    scale: lb.scale,
    padX: lb.padX,
    padY: lb.padY,
    sourceWidth: lb.sourceWidth,
    sourceHeight: lb.sourceHeight,
  };
  return { width, height, pixels, letterbox };
}

/** A Frame around a letterboxed image, for feeding a Detector directly. */
export function frameFromImage(image: LetterboxedImage, cameraId = 'test', seq = 1): Frame {
  return {
    cameraId,
    seq,
    captureTime: 0,
    width: image.width,
    height: image.height,
    pixels: image.pixels,
    letterbox: image.letterbox,
  };
}
