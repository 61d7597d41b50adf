import type { Box } from '../types.js';
import { centreX, centreY, type TrackState } from './TrackState.js';

export interface RelinkGates {
  /** the detection's centre at most this many box heights from the track's predicted (or last seen) centre */
  readonly maxDistance: number;
  /** the taller of the two boxes at most this many times the height of the shorter */
  readonly maxSizeRatio: number;
  /** the prediction moves the track along its velocity for at most this long: a walker may stop or turn */
  readonly maxExtrapolationMs: number;
}

const height = (box: Box): number => box[3] - box[1];

/**
 * What re-linking a detection to a track that has gone unmatched would cost: the distance between
 * their centres in box heights (the mean of the two, so the gate scales with the object and its
 * distance from the camera) plus how far apart their heights are (`ln` of the ratio), or
 * `Infinity` when a gate refuses. The distance is taken to the nearer of the track's predicted
 * position (bounded extrapolation) and its last observed one (OC-SORT's observation-centric
 * recovery: an object that stopped while hidden is where it was last seen, not where it was going).
 * Heights, not widths: a person's width changes with the stride and the angle, the height much less.
 * A track whose predicted centre has left the frame is not re-linked: it walked out, and a
 * detection coming in at that edge is someone else.
 */
export function relinkCost(track: TrackState, box: Box, now: number, gates: RelinkGates): number {
  const trackHeight = height(track.box);
  const boxHeight = height(box);
  if (trackHeight <= 0 || boxHeight <= 0) return Number.POSITIVE_INFINITY;
  const sizeRatio = Math.max(boxHeight / trackHeight, trackHeight / boxHeight);
  if (sizeRatio > gates.maxSizeRatio) return Number.POSITIVE_INFINITY;
  const scale = (trackHeight + boxHeight) / 2;
  const predicted = track.predictedBox(now, gates.maxExtrapolationMs);
  // Predicted to have walked out of the frame: whoever comes in there next is someone else.
  if (!inFrame(centreX(predicted)) || !inFrame(centreY(predicted))) return Number.POSITIVE_INFINITY;
  const distance = Math.min(centreDistance(predicted, box), centreDistance(track.box, box)) / scale;
  if (distance > gates.maxDistance) return Number.POSITIVE_INFINITY;
  return distance + Math.log(sizeRatio);
}

const inFrame = (v: number): boolean => v >= 0 && v <= 1;

function centreDistance(a: Box, b: Box): number {
  return Math.hypot(centreX(a) - centreX(b), centreY(a) - centreY(b));
}
