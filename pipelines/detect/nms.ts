import type { Box, Detection } from '../types.js';

/** Intersection over union of two x1 y1 x2 y2 boxes; 0 when either has no area. */
export function iou(a: Box, b: Box): number {
  return iouAt(a, 0, b, 0);
}

/** IoU of the boxes at offsets `i` and `j` (in numbers, not boxes) of flat x1 y1 x2 y2 arrays. */
function iouAt(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): number {
  const ax1 = a[i]!,
    ay1 = a[i + 1]!,
    ax2 = a[i + 2]!,
    ay2 = a[i + 3]!;
  const bx1 = b[j]!,
    by1 = b[j + 1]!,
    bx2 = b[j + 2]!,
    by2 = b[j + 3]!;
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Reusable work arrays, so per-frame NMS allocates only its (small) result. */
export class NmsScratch {
  private order: Uint32Array;
  private suppressed: Uint8Array;

  constructor(capacity = 256) {
    this.order = new Uint32Array(capacity);
    this.suppressed = new Uint8Array(capacity);
  }

  /** @internal */
  take(count: number): { order: Uint32Array; suppressed: Uint8Array } {
    if (this.order.length < count) {
      this.order = new Uint32Array(count);
      this.suppressed = new Uint8Array(count);
    }
    const suppressed = this.suppressed.subarray(0, count);
    suppressed.fill(0);
    return { order: this.order.subarray(0, count), suppressed };
  }
}

/**
 * Greedy class-wise non-maximum suppression over the first `count` candidates: highest score
 * first, a candidate is dropped when it overlaps an already-kept box of the same class with
 * IoU above `iouThreshold`. Returns the kept indices, highest score first (ties: lower index).
 * "Class" is whatever `classIds` holds: the decoders pass each candidate's label group key there
 * (`nmsClassKeys`), so labels of one group suppress each other.
 */
export function nmsIndices(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  classIds: ArrayLike<number>,
  count: number,
  iouThreshold: number,
  scratch: NmsScratch = new NmsScratch(count),
): number[] {
  const { order, suppressed } = scratch.take(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);

  const kept: number[] = [];
  for (let rank = 0; rank < count; rank++) {
    if (suppressed[rank] === 1) continue;
    const index = order[rank]!;
    kept.push(index);
    const cls = classIds[index];
    for (let later = rank + 1; later < count; later++) {
      if (suppressed[later] === 1) continue;
      const other = order[later]!;
      if (classIds[other] !== cls) continue;
      if (iouAt(boxes, index * 4, boxes, other * 4) > iouThreshold) suppressed[later] = 1;
    }
  }
  return kept;
}

/**
 * Class-wise NMS over ready-made detections (the decoders use nmsIndices on flat arrays).
 * `nmsClassKeys`: per class id, the key compared instead of the class (see `DecodeOptions`).
 */
export function nmsDetections(detections: readonly Detection[], iouThreshold: number, nmsClassKeys?: ArrayLike<number>): Detection[] {
  const count = detections.length;
  const boxes = new Float64Array(count * 4);
  const scores = new Float64Array(count);
  const classIds = new Int32Array(count);
  detections.forEach((detection, i) => {
    boxes.set(detection.box, i * 4);
    scores[i] = detection.score;
    classIds[i] = nmsClassKeys?.[detection.classId] ?? detection.classId;
  });
  return nmsIndices(boxes, scores, classIds, count, iouThreshold).map((i) => detections[i]!);
}
