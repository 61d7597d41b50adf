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
 * their centres in box heights (the mean of the detection's and the track's last confident box,
 * so the gate scales with the object and its distance from the camera) plus how far apart their
 * heights are (`ln` of the ratio, against the nearest of the track's last box, its last confident
 * one and its usual height), or
 * `Infinity` when a gate refuses. The distance is taken to the nearer of the track's predicted
 * position (bounded extrapolation) and its last observed ones (OC-SORT's observation-centric
 * recovery: an object that stopped while hidden is where it was last seen, not where it was going).
 * Heights, not widths: a person's width changes with the stride and the angle, the height much less.
 * A track whose predicted centre has left the frame is not re-linked: it walked out, and a
 * detection coming in at that edge is someone else.
 */
export function relinkCost(track: TrackState, box: Box, now: number, gates: RelinkGates): number {
  const boxHeight = height(box);
  // The last box may be a half-hidden object's cut-off one, and so may the last confident box when the
  // object went behind something slowly: its usual height over its recent confident boxes is the third reference.
  const sizeRatio = Math.min(
    heightRatio(height(track.box), boxHeight),
    heightRatio(height(track.sureBox), boxHeight),
    heightRatio(track.usualHeight, boxHeight),
  );
  if (!(sizeRatio <= gates.maxSizeRatio)) return Number.POSITIVE_INFINITY;
  const scale = (height(track.sureBox) + boxHeight) / 2;
  const predicted = track.predictedBox(now, gates.maxExtrapolationMs);
  // Predicted to have walked out of the frame: whoever comes in there next is someone else.
  if (!inFrame(centreX(predicted)) || !inFrame(centreY(predicted))) return Number.POSITIVE_INFINITY;
  const distance = Math.min(centreDistance(predicted, box), centreDistance(track.box, box), centreDistance(track.sureBox, box)) / scale;
  if (distance > gates.maxDistance) return Number.POSITIVE_INFINITY;
  return distance + Math.log(sizeRatio);
}

/** The taller of the two heights over the shorter; Infinity (refused) for a box of no height. */
function heightRatio(referenceHeight: number, boxHeight: number): number {
  if (referenceHeight <= 0 || boxHeight <= 0) return Number.POSITIVE_INFINITY;
  return Math.max(boxHeight / referenceHeight, referenceHeight / boxHeight);
}

const inFrame = (v: number): boolean => v >= 0 && v <= 1;

function centreDistance(a: Box, b: Box): number {
  return Math.hypot(centreX(a) - centreX(b), centreY(a) - centreY(b));
}
