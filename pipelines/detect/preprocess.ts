import { ModelError } from '../errors.js';

export type ChannelOrder = 'BGR' | 'RGB';
export type PixelValues = 'raw' | 'unit';

/**
 * Packed BGR24 (HWC, uint8, already letterboxed to the model input size by ffmpeg) to planar
 * CHW float32 in `out`, which the caller allocates once and reuses for every frame.
 * `BGR` keeps the byte order (YOLOX was trained on OpenCV images); `RGB` swaps the outer planes.
 */
export function bgr24ToChw(
  pixels: Uint8Array,
  width: number,
  height: number,
  channelOrder: ChannelOrder,
  pixelValues: PixelValues,
  out: Float32Array,
): Float32Array {
  const plane = width * height;
  // `pixels` is width * height * 3 bytes: frames are size-checked once, by frameSizeError where
  // they enter a detector. `out` is the caller's own buffer; a wrong one is a bug, not bad input.
  if (out.length !== plane * 3) {
    throw new ModelError('bad_input_buffer', `input buffer holds ${out.length} floats, expected ${plane * 3}`);
  }
  const k = pixelValues === 'unit' ? 1 / 255 : 1;
  // Index of the plane that receives the B and R bytes; G always goes to the middle plane.
  const bPlane = channelOrder === 'BGR' ? 0 : 2 * plane;
  const rPlane = channelOrder === 'BGR' ? 2 * plane : 0;
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    out[bPlane + i] = pixels[p]! * k;
    out[plane + i] = pixels[p + 1]! * k;
    out[rPlane + i] = pixels[p + 2]! * k;
  }
  return out;
}
