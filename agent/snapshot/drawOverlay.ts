import sharp from 'sharp';
import { IngestError } from '../../pipelines/errors.js';
import { overlaySvg, type OverlayScene } from './overlaySvg.js';

/** The largest frame drawn on: grabFrame scales anything bigger down to fit 4096x4096. */
export const MAX_SNAPSHOT_PIXELS = 4096 * 4096;

/**
 * The frame (a PNG from grabFrame) with the overlay composited on it, as a PNG of the same size.
 * The config's coordinates are fractions of the frame, so they land on the same spot whatever
 * size the frame was grabbed at.
 */
export async function drawOverlay(png: Buffer, scene: Omit<OverlayScene, 'width' | 'height'>): Promise<{ png: Buffer; width: number; height: number }> {
  // limitInputPixels: a decompression bomb is refused before it is decoded
  const image = sharp(png, { limitInputPixels: MAX_SNAPSHOT_PIXELS });
  const { width, height } = await image.metadata();
  if (!width || !height) throw new IngestError('snapshot_bad_frame', 'the grabbed frame has no size');
  const svg = overlaySvg({ ...scene, width, height });
  const drawn = await image
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
  return { png: drawn, width, height };
}
