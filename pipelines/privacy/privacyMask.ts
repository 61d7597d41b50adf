import { anchorOf, pointInPolygon } from '../geometry.js';
import type { Detection, Letterbox, Point } from '../types.js';

/** A privacy mask: a polygon in normalised source coordinates. */
export interface MaskPolygon {
  readonly id: string;
  readonly polygon: readonly Point[];
}

/** The id of the first mask that holds the point, if any. */
export function maskContaining(point: Point, masks: readonly MaskPolygon[]): string | undefined {
  for (const mask of masks) if (pointInPolygon(point, mask.polygon)) return mask.id;
  return undefined;
}

export interface MaskedDetection {
  readonly detection: Detection;
  readonly maskId: string;
  readonly reason: 'privacy_mask';
}

/** Drops every detection whose anchor (bottom-centre) lies in a mask: a masked area never alerts. */
export function dropMaskedDetections(detections: readonly Detection[], masks: readonly MaskPolygon[]): { kept: Detection[]; dropped: MaskedDetection[] } {
  const kept: Detection[] = [];
  const dropped: MaskedDetection[] = [];
  for (const detection of detections) {
    const maskId = masks.length === 0 ? undefined : maskContaining(anchorOf(detection.box), masks);
    if (maskId === undefined) kept.push(detection);
    else dropped.push({ detection, maskId, reason: 'privacy_mask' });
  }
  return { kept, dropped };
}

/** The model-input pixels under the masks, as half-open runs of pixel indices [start, end). */
export interface MaskRaster {
  readonly key: string;
  readonly width: number;
  readonly height: number;
  /** start0, end0, start1, end1, ... in pixel indices (row * width + column), ascending, disjoint */
  readonly runs: Uint32Array;
  readonly maskedPixels: number;
}

export function letterboxKey(width: number, height: number, letterbox: Letterbox): string {
  const { scale, padX, padY, sourceWidth, sourceHeight } = letterbox;
  return `${width}x${height} ${sourceWidth}x${sourceHeight} s${scale} p${padX},${padY}`;
}

/**
 * Which model-input pixels the masks cover, for one letterbox. A pixel is covered when its centre,
 * mapped back to normalised source coordinates the way detections are, lies inside a mask by the
 * same even-odd rule as `pointInPolygon`. Scanline fill: one pass per row, no per-pixel tests.
 */
export function rasteriseMasks(masks: readonly MaskPolygon[], letterbox: Letterbox, width: number, height: number): MaskRaster {
  const sx = letterbox.scale * letterbox.sourceWidth;
  const sy = letterbox.scale * letterbox.sourceHeight;
  const imageWidth = Math.max(0, Math.min(width, width - letterbox.padX));
  const imageHeight = Math.max(0, Math.min(height, height - letterbox.padY));
  const runs: number[] = [];
  let maskedPixels = 0;
  for (let row = 0; row < imageHeight; row++) {
    const v = (row + 0.5) / sy;
    const spans: [number, number][] = [];
    for (const mask of masks) {
      const crossings = rowCrossings(mask.polygon, v);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        // Clamped before the comparison: a span wholly left of the picture (a mask drawn past its
        // edge) must come out empty, not as a run ending at a negative column.
        const first = Math.max(0, firstColumnAtOrAfter(crossings[k]!, sx));
        const end = Math.min(imageWidth, firstColumnAtOrAfter(crossings[k + 1]!, sx));
        if (end > first) spans.push([first, end]);
      }
    }
    for (const [start, end] of mergeSpans(spans)) {
      runs.push(row * width + start, row * width + end);
      maskedPixels += end - start;
    }
  }
  return { key: letterboxKey(width, height, letterbox), width, height, runs: Uint32Array.from(runs), maskedPixels };
}

/** x where the polygon's edges cross the horizontal line y = v, with pointInPolygon's half-open rule, sorted. */
function rowCrossings(polygon: readonly Point[], v: number): number[] {
  const xs: number[] = [];
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > v !== yj > v) xs.push(((xj - xi) * (v - yi)) / (yj - yi) + xi);
  }
  return xs.sort((a, b) => a - b);
}

/**
 * The first column whose centre, mapped to source coordinates, is at or right of `x`: the same
 * division pointInPolygon's caller does, so raster and point test agree to the last bit.
 */
function firstColumnAtOrAfter(x: number, sx: number): number {
  let column = Math.ceil(x * sx - 0.5);
  while ((column - 0.5) / sx >= x) column -= 1;
  while ((column + 0.5) / sx < x) column += 1;
  return column;
}

function mergeSpans(spans: [number, number][]): [number, number][] {
  if (spans.length <= 1) return spans;
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [[...spans[0]!]];
  for (const [start, end] of spans.slice(1)) {
    const last = merged[merged.length - 1]!;
    if (start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** Paints the covered pixels of a packed BGR24 buffer with the pad value, in place. */
export function fillMaskedPixels(pixels: Uint8Array, raster: MaskRaster, padValue: number): void {
  const { runs } = raster;
  for (let r = 0; r < runs.length; r += 2) pixels.fill(padValue, runs[r]! * 3, runs[r + 1]! * 3);
}
