import { iou } from '../../pipelines/geometry.js';
import { linearAssignment } from '../../pipelines/track/linearAssignment.js';
import type { Box } from '../../pipelines/types.js';

/** One frame's ground-truth objects and the tracker's output, each with its identity. */
export interface FrameBoxes {
  readonly truth: readonly { readonly id: string; readonly box: Box }[];
  readonly tracks: readonly { readonly id: number; readonly box: Box }[];
}

export interface TrackingMetrics {
  readonly frames: number;
  /** ground-truth boxes over all frames (the MOTA and IDF1 denominators' truth side) */
  readonly truthBoxes: number;
  readonly trackBoxes: number;
  readonly truthIds: number;
  readonly trackIds: number;
  /** CLEAR-MOT (Bernardin & Stiefelhagen 2008) */
  readonly matches: number;
  readonly falsePositives: number;
  readonly misses: number;
  readonly idSwitches: number;
  readonly mota: number;
  /** mean IoU of the matched pairs (MOTP as an overlap, higher is better) */
  readonly motp: number;
  /** identity measures (Ristani et al. 2016) */
  readonly idtp: number;
  readonly idfp: number;
  readonly idfn: number;
  readonly idf1: number;
  readonly idp: number;
  readonly idr: number;
}

const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);

/**
 * CLEAR-MOT and ID metrics at one IoU threshold (a pair counts when IoU >= minIou).
 *
 * CLEAR-MOT, per frame: a truth object keeps the track it was last matched to when that track
 * is still there with enough overlap; the rest are matched by the Hungarian method on 1 - IoU.
 * An id switch is a truth object matched to a different track than the one it was last matched
 * to (on any earlier frame). MOTA = 1 - (misses + false positives + switches) / truth boxes.
 *
 * IDF1: each truth trajectory is paired with at most one track trajectory, and vice versa, so as
 * to maximise the frames on which the pair overlaps (IDTP); every other truth box is an IDFN and
 * every other track box an IDFP. IDF1 = 2 IDTP / (truth boxes + track boxes).
 */
export function trackingMetrics(frames: readonly FrameBoxes[], minIou = 0.5): TrackingMetrics {
  const lastTrackOf = new Map<string, number>();
  const pairFrames = new Map<string, Map<number, number>>();
  const truthIds = new Set<string>();
  const trackIds = new Set<number>();
  let truthBoxes = 0;
  let trackBoxes = 0;
  let matches = 0;
  let switches = 0;
  let overlapSum = 0;

  for (const { truth, tracks } of frames) {
    truthBoxes += truth.length;
    trackBoxes += tracks.length;
    for (const t of truth) truthIds.add(t.id);
    for (const t of tracks) trackIds.add(t.id);
    const overlap = truth.map((t) => tracks.map((h) => iou(t.box, h.box)));

    // Identity: every (truth, track) pair that overlaps enough on this frame.
    truth.forEach((t, i) => {
      tracks.forEach((h, j) => {
        if (overlap[i]![j]! < minIou) return;
        let row = pairFrames.get(t.id);
        if (!row) pairFrames.set(t.id, (row = new Map()));
        row.set(h.id, (row.get(h.id) ?? 0) + 1);
      });
    });

    // CLEAR-MOT: keep last correspondences that still hold, then the Hungarian method for the rest.
    const truthTaken = new Set<number>();
    const trackTaken = new Set<number>();
    const matched: [number, number][] = [];
    truth.forEach((t, i) => {
      const last = lastTrackOf.get(t.id);
      const j = last === undefined ? -1 : tracks.findIndex((h) => h.id === last);
      if (j >= 0 && !trackTaken.has(j) && overlap[i]![j]! >= minIou) {
        truthTaken.add(i);
        trackTaken.add(j);
        matched.push([i, j]);
      }
    });
    const freeTruth = truth.map((_, i) => i).filter((i) => !truthTaken.has(i));
    const freeTracks = tracks.map((_, j) => j).filter((j) => !trackTaken.has(j));
    const cost = freeTruth.map((i) => freeTracks.map((j) => 1 - overlap[i]![j]!));
    for (const [r, c] of linearAssignment(cost, 1 - minIou)) {
      const i = freeTruth[r]!;
      const j = freeTracks[c]!;
      const last = lastTrackOf.get(truth[i]!.id);
      if (last !== undefined && last !== tracks[j]!.id) switches += 1;
      matched.push([i, j]);
    }
    for (const [i, j] of matched) {
      lastTrackOf.set(truth[i]!.id, tracks[j]!.id);
      overlapSum += overlap[i]![j]!;
    }
    matches += matched.length;
  }

  // IDF1: the truth-to-track pairing with the most overlapping frames (Hungarian on -frames).
  const truthList = [...truthIds];
  const trackList = [...trackIds];
  const gain = truthList.map((g) => trackList.map((h) => pairFrames.get(g)?.get(h) ?? 0));
  const paired = linearAssignment(
    gain.map((row) => row.map((v) => -v)),
    Number.POSITIVE_INFINITY,
  );
  const idtp = paired.reduce((sum, [r, c]) => sum + gain[r]![c]!, 0);
  const misses = truthBoxes - matches;
  const falsePositives = trackBoxes - matches;
  return {
    frames: frames.length,
    truthBoxes,
    trackBoxes,
    truthIds: truthIds.size,
    trackIds: trackIds.size,
    matches,
    falsePositives,
    misses,
    idSwitches: switches,
    mota: truthBoxes === 0 ? 0 : 1 - (misses + falsePositives + switches) / truthBoxes,
    motp: ratio(overlapSum, matches),
    idtp,
    idfp: trackBoxes - idtp,
    idfn: truthBoxes - idtp,
    idf1: ratio(2 * idtp, truthBoxes + trackBoxes),
    idp: ratio(idtp, trackBoxes),
    idr: ratio(idtp, truthBoxes),
  };
}

/** Sums of the counts of several runs, with the ratios recomputed from the sums. */
export function sumTrackingMetrics(runs: readonly TrackingMetrics[]): TrackingMetrics {
  const sum = (key: keyof TrackingMetrics): number => runs.reduce((s, r) => s + r[key], 0);
  const truthBoxes = sum('truthBoxes');
  const trackBoxes = sum('trackBoxes');
  const matches = sum('matches');
  const idtp = sum('idtp');
  const misses = sum('misses');
  const falsePositives = sum('falsePositives');
  const idSwitches = sum('idSwitches');
  return {
    frames: sum('frames'),
    truthBoxes,
    trackBoxes,
    truthIds: sum('truthIds'),
    trackIds: sum('trackIds'),
    matches,
    falsePositives,
    misses,
    idSwitches,
    mota: truthBoxes === 0 ? 0 : 1 - (misses + falsePositives + idSwitches) / truthBoxes,
    motp: ratio(
      runs.reduce((s, r) => s + r.motp * r.matches, 0),
      matches,
    ),
    idtp,
    idfp: trackBoxes - idtp,
    idfn: truthBoxes - idtp,
    idf1: ratio(2 * idtp, truthBoxes + trackBoxes),
    idp: ratio(idtp, trackBoxes),
    idr: ratio(idtp, truthBoxes),
  };
}
