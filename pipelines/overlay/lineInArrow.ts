import { signedDistanceToLine } from '../geometry.js';
import { crossingDirectionInto } from '../rules/lineCrossing.js';
import type { Point } from '../types.js';

/** A point in image pixels (x right, y down), as drawn; config points are normalised 0..1. */
export type PixelPoint = readonly [number, number];

export interface LineInArrow {
  /** the middle of the line, where the arrow starts */
  readonly base: PixelPoint;
  /** on the side a crossing must end on to count as `in` */
  readonly tip: PixelPoint;
  /** the two back corners of the arrow head; the head is the triangle tip, head[0], head[1] */
  readonly head: readonly [PixelPoint, PixelPoint];
}

/**
 * The arrow that shows a line's `in` direction on a `width` x `height` image: from the middle of
 * the line, `lengthPx` long, at right angles to the line as drawn (config points are fractions of
 * each axis, so a right angle in pixels is not one in normalised units). Which of the two normals
 * is `in` is not decided here: the tip is tested with the rule's own side test
 * (`signedDistanceToLine` read by `crossingDirectionInto`), so the arrow cannot disagree with the
 * line_crossing rule. Stretching the axes by positive factors keeps every point on its side of
 * the line, so a normal in pixels points to the same side as in normalised units. Undefined for
 * a line of zero length, which has no sides.
 */
export function lineInArrow(from: Point, to: Point, width: number, height: number, lengthPx: number): LineInArrow | undefined {
  const ax = from[0] * width;
  const ay = from[1] * height;
  const dx = to[0] * width - ax;
  const dy = to[1] * height - ay;
  const length = Math.hypot(dx, dy);
  if (length === 0 || !(width > 0 && height > 0 && lengthPx > 0)) return undefined;
  const base: PixelPoint = [ax + dx / 2, ay + dy / 2];
  let nx = -dy / length;
  let ny = dx / length;
  const probe: Point = [(base[0] + nx * lengthPx) / width, (base[1] + ny * lengthPx) / height];
  if (crossingDirectionInto(signedDistanceToLine(probe, from, to)) !== 'in') {
    nx = -nx;
    ny = -ny;
  }
  const tip: PixelPoint = [base[0] + nx * lengthPx, base[1] + ny * lengthPx];
  // The head: a third of the arrow long, as wide; its back corners sit either side of the shaft.
  const headLength = lengthPx / 3;
  const back: PixelPoint = [tip[0] - nx * headLength, tip[1] - ny * headLength];
  const half = headLength / 2;
  return {
    base,
    tip,
    head: [
      [back[0] + ny * half, back[1] - nx * half],
      [back[0] - ny * half, back[1] + nx * half],
    ],
  };
}
