/** Where an actor's feet are at a time: seconds from the clip's start, normalised [x, y] (0..1, origin top-left). */
export interface Keyframe {
  readonly t: number;
  readonly x: number;
  readonly y: number;
}

export type Point = readonly [number, number];

/**
 * The foot point on a piecewise-linear path at time `t`: linear between keyframes, still where
 * two keyframes share a place (the actor stands), undefined before the first keyframe and after
 * the last (the actor is not in the scene).
 */
export function positionAt(keys: readonly Keyframe[], t: number): Point | undefined {
  const first = keys[0];
  const last = keys.at(-1);
  if (!first || !last || t < first.t || t > last.t) return undefined;
  for (let i = 1; i < keys.length; i++) {
    const a = keys[i - 1]!;
    const b = keys[i]!;
    if (t > b.t) continue;
    const s = b.t === a.t ? 1 : (t - a.t) / (b.t - a.t);
    return [a.x + s * (b.x - a.x), a.y + s * (b.y - a.y)];
  }
  return [last.x, last.y];
}

/**
 * Apparent person height in pixels against the foot row, `a + b * footY`: the plaza is seen from
 * above at an angle, so people lower in the image are nearer and taller. Fitted from the crops.
 */
export interface HeightModel {
  readonly a: number;
  readonly b: number;
}

/** Least-squares line through (footY, height) pairs; `fallback` when the foot rows barely differ. */
export function fitHeightModel(samples: readonly { footY: number; height: number }[], fallback: HeightModel): HeightModel {
  const n = samples.length;
  if (n < 2) return fallback;
  const meanY = samples.reduce((s, p) => s + p.footY, 0) / n;
  const meanH = samples.reduce((s, p) => s + p.height, 0) / n;
  const sxx = samples.reduce((s, p) => s + (p.footY - meanY) ** 2, 0);
  if (sxx < n * 400) return fallback; // foot rows within ~20 px of each other say nothing about the slope
  const sxy = samples.reduce((s, p) => s + (p.footY - meanY) * (p.height - meanH), 0);
  const b = sxy / sxx;
  if (!(b > 0)) return fallback;
  return { a: meanH - b * meanY, b };
}

/** A sprite's place in the frame, in whole pixels: its top-left corner and size. */
export interface Placement {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Where a sprite cut with its feet at row `sourceFootY` goes when its feet are at `foot`: scaled
 * by the height model's ratio of the two rows, bottom-centre on the foot point, snapped to whole
 * pixels. The box an object's ground truth gives is exactly this rectangle.
 */
export function placeSprite(
  sprite: { readonly width: number; readonly height: number },
  sourceFootY: number,
  foot: Point,
  model: HeightModel,
  frame: { readonly width: number; readonly height: number },
): Placement {
  const footX = foot[0] * frame.width;
  const footY = foot[1] * frame.height;
  const scale = (model.a + model.b * footY) / (model.a + model.b * sourceFootY);
  const width = Math.max(1, Math.round(sprite.width * scale));
  const height = Math.max(1, Math.round(sprite.height * scale));
  return { x: Math.round(footX - width / 2), y: Math.round(footY) - height, width, height };
}

/** The placement as a normalised box [x1, y1, x2, y2], clipped to the frame. */
export function placementBox(place: Placement, frame: { readonly width: number; readonly height: number }): [number, number, number, number] {
  const clip = (v: number, max: number): number => Math.min(max, Math.max(0, v)) / max;
  return [clip(place.x, frame.width), clip(place.y, frame.height), clip(place.x + place.width, frame.width), clip(place.y + place.height, frame.height)];
}
