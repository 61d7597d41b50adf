import type { Detection, Frame, Letterbox } from '../types.js';
import {
  dropMaskedDetections,
  fillMaskedPixels,
  letterboxKey,
  rasteriseMasks,
  type MaskedDetection,
  type MaskPolygon,
  type MaskRaster,
} from './privacyMask.js';

/**
 * One camera's privacy masks: blanks the masked pixels of each frame before inference and drops
 * detections anchored inside a mask after it. The raster is computed once per letterbox (it only
 * changes when the camera's resolution does), so a frame costs one fill per masked run.
 */
export class PrivacyMasker {
  private readonly masks: readonly MaskPolygon[];
  private readonly padValue: number;
  private raster: MaskRaster | undefined;
  /** the letterbox the raster was last checked against: a decoder run keeps one, so frames skip the key */
  private checkedLetterbox: Letterbox | undefined;
  private rasterised = 0;

  constructor(masks: readonly MaskPolygon[], padValue: number) {
    this.masks = masks;
    this.padValue = padValue;
  }

  /** how many times the masks were rasterised: once per letterbox seen, not once per frame */
  get rasterisations(): number {
    return this.rasterised;
  }

  get enabled(): boolean {
    return this.masks.length > 0;
  }

  /** Paints the masked pixels of the frame with the pad value, in place; returns how many. */
  apply(frame: Frame): number {
    if (!this.enabled) return 0;
    let raster = this.raster;
    if (!raster || this.checkedLetterbox !== frame.letterbox || raster.width !== frame.width || raster.height !== frame.height) {
      const key = letterboxKey(frame.width, frame.height, frame.letterbox);
      if (raster?.key !== key) {
        raster = this.raster = rasteriseMasks(this.masks, frame.letterbox, frame.width, frame.height);
        this.rasterised += 1;
      }
      this.checkedLetterbox = frame.letterbox;
    }
    fillMaskedPixels(frame.pixels, raster, this.padValue);
    return raster.maskedPixels;
  }

  filter(detections: readonly Detection[]): { kept: Detection[]; dropped: MaskedDetection[] } {
    if (!this.enabled) return { kept: [...detections], dropped: [] };
    return dropMaskedDetections(detections, this.masks);
  }
}
