import { iou } from '../../pipelines/geometry.js';

/** One frame of ground truth: each object's box (normalised x1, y1, x2, y2) and the share of it not hidden. */
export interface TruthFrameBoxes {
  readonly boxes: readonly { readonly id: string; readonly box: readonly [number, number, number, number]; readonly visibility: number }[];
}

/**
 * Crossings in the ground truth alone, the denominator of "id switches per ten crossings": an
 * episode during which the boxes of two of `objects` overlap (intersect with positive area) on
 * consecutive frames, counted once per pair per episode, and only when on some frame of it both
 * are at least `minVisibility` visible (two people side by side in a crowd whose boxes touch while
 * both are well seen count too: that is where a tracker swaps ids as much as in a pass-behind). An
 * episode ends on the first frame the two boxes do not overlap or either object is gone.
 */
export function countCrossings(frames: readonly TruthFrameBoxes[], objects: ReadonlySet<string>, minVisibility: number): number {
  /** open episodes by pair key "a|b" (a < b): whether both were seen well enough on one of its frames yet */
  let open = new Map<string, boolean>();
  let crossings = 0;
  const close = (episodes: ReadonlyMap<string, boolean>): void => {
    for (const counted of episodes.values()) if (counted) crossings += 1;
  };
  for (const frame of frames) {
    const boxes = frame.boxes.filter((b) => objects.has(b.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const next = new Map<string, boolean>();
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        if (!(iou(a.box, b.box) > 0)) continue;
        const key = `${a.id}|${b.id}`;
        next.set(key, (open.get(key) ?? false) || (a.visibility >= minVisibility && b.visibility >= minVisibility));
        open.delete(key);
      }
    }
    // Pairs that no longer overlap: their episodes are over.
    close(open);
    open = next;
  }
  close(open);
  return crossings;
}

/** Id switches per ten crossings; null when there was no crossing to switch at. */
export function switchesPerTenCrossings(idSwitches: number, crossings: number): number | null {
  return crossings === 0 ? null : (10 * idSwitches) / crossings;
}
