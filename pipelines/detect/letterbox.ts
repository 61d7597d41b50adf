import type { Box, Letterbox } from '../types.js';

/**
 * The colour of the letterbox padding, 114 in every channel, as YOLO-family models are trained
 * with. Part of the model-input contract: ffmpeg pads with it, privacy masks are painted with it.
 */
export const PAD_VALUE = 114;

/**
 * The letterbox geometry: the source is scaled to fit the model input keeping its aspect ratio,
 * placed at the top-left, and padded on the right and bottom. The scaled size is rounded the way
 * ffmpeg's `scale=W:H:force_original_aspect_ratio=decrease` rounds it, so the ingest filter and
 * this transform agree on where the image ends.
 */
export function computeLetterbox(
  sourceWidth: number,
  sourceHeight: number,
  inputWidth: number,
  inputHeight: number,
): Letterbox & { readonly scaledWidth: number; readonly scaledHeight: number } {
  if (!(sourceWidth > 0 && sourceHeight > 0 && inputWidth > 0 && inputHeight > 0)) {
    throw new RangeError(`letterbox sizes must be positive: source ${sourceWidth}x${sourceHeight}, input ${inputWidth}x${inputHeight}`);
  }
  const scale = Math.min(inputWidth / sourceWidth, inputHeight / sourceHeight);
  // Integer product first, then one rounding: ffmpeg's av_rescale(h, iw, ih) does the same.
  const scaledWidth = Math.min(inputWidth, Math.max(1, Math.round((inputHeight * sourceWidth) / sourceHeight)));
  const scaledHeight = Math.min(inputHeight, Math.max(1, Math.round((inputWidth * sourceHeight) / sourceWidth)));
  return {
    scale,
    padX: inputWidth - scaledWidth,
    padY: inputHeight - scaledHeight,
    sourceWidth,
    sourceHeight,
    scaledWidth,
    scaledHeight,
  };
}

function clamp01(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}

/** Model-input pixels (x1 y1 x2 y2) to normalised source coordinates, clamped to the image. */
export function modelBoxToSource(x1: number, y1: number, x2: number, y2: number, letterbox: Letterbox): Box {
  const sx = 1 / (letterbox.scale * letterbox.sourceWidth);
  const sy = 1 / (letterbox.scale * letterbox.sourceHeight);
  return [clamp01(x1 * sx), clamp01(y1 * sy), clamp01(x2 * sx), clamp01(y2 * sy)];
}

/** Normalised source coordinates to model-input pixels; the inverse of modelBoxToSource inside the image. */
export function sourceBoxToModel(box: Box, letterbox: Letterbox): Box {
  const sx = letterbox.scale * letterbox.sourceWidth;
  const sy = letterbox.scale * letterbox.sourceHeight;
  return [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy];
}
