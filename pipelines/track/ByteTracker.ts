import { anchorOf, iou } from '../geometry.js';
import type { Tracker } from '../stages.js';
import type { Box, Detection, Point, Track } from '../types.js';
import { linearAssignment } from './linearAssignment.js';

export interface ByteTrackerOptions {
  /** detections at or above this score take part in the first association */
  readonly highScore: number;
  /** detections from here up to highScore only extend tracks the first stage left unmatched */
  readonly lowScore: number;
  /** an unmatched detection this sure opens a new (tentative) track */
  readonly newTrackScore: number;
  /** minimum IoU for the first (high-score) association and for confirming tentative tracks */
  readonly matchIou: number;
  /** minimum IoU for the second (low-score) association */
  readonly lowMatchIou: number;
  /** frames a confirmed track survives unmatched before it ends */
  readonly maxMisses: number;
  /** consecutive matched frames before a tentative track is confirmed, gets its id and is reported */
  readonly minHits: number;
  /** move unmatched tracks along their recent velocity before matching */
  readonly predict: boolean;
  /** recent scores and anchors kept per track */
  readonly historyLength: number;
}

export const DEFAULT_BYTE_TRACKER_OPTIONS: ByteTrackerOptions = {
  highScore: 0.5,
  lowScore: 0.1,
  newTrackScore: 0.6,
  matchIou: 0.3,
  lowMatchIou: 0.5,
  maxMisses: 10,
  minHits: 2,
  predict: true,
  historyLength: 30,
};

/** Hands out track ids; one per camera for the life of the process, so ids survive a pipeline restart. */
export type TrackIdSource = () => number;

export function createTrackIdSource(): TrackIdSource {
  let last = 0;
  return () => ++last;
}

export interface ByteTrackerDeps {
  readonly options?: Partial<ByteTrackerOptions>;
  /** defaults to a fresh sequence from 1 */
  readonly nextTrackId?: TrackIdSource;
}

interface MutableTrack {
  /** 0 while tentative */
  id: number;
  label: string;
  classId: number;
  box: Box;
  score: number;
  scores: number[];
  firstSeen: number;
  lastSeen: number;
  anchors: Point[];
  misses: number;
  hits: number;
  /** box-centre velocity, normalised units per millisecond */
  vx: number;
  vy: number;
}

/**
 * ByteTrack-style multi-object tracker (Zhang et al., 2022). Each frame: (1) high-score
 * detections are matched to confirmed tracks, live or coasting, by IoU with the tracks' predicted
 * boxes (minimum-cost assignment, one class at a time); (2) low-score detections are matched to
 * the tracks still unmatched that were seen last frame, which keeps occluded or blurred objects
 * on their track instead of dropping them; (3) the remaining high-score detections confirm
 * tentative tracks; (4) what is still unmatched and sure enough opens a tentative track.
 * Confirmed tracks survive `maxMisses` unmatched frames. Ids come from `nextTrackId`, only on
 * confirmation, so a flicker of false positives burns no ids; an id is never reused.
 */
export class ByteTracker implements Tracker {
  private readonly options: ByteTrackerOptions;
  private readonly nextTrackId: TrackIdSource;
  private confirmed: MutableTrack[] = [];
  private tentative: MutableTrack[] = [];

  constructor(deps: ByteTrackerDeps = {}) {
    this.options = { ...DEFAULT_BYTE_TRACKER_OPTIONS, ...deps.options };
    this.nextTrackId = deps.nextTrackId ?? createTrackIdSource();
  }

  update(detections: readonly Detection[], now: number): { active: Track[]; ended: Track[] } {
    const { highScore, lowScore, newTrackScore, matchIou, lowMatchIou, maxMisses } = this.options;
    const high = detections.filter((d) => d.score >= highScore);
    const low = detections.filter((d) => d.score >= lowScore && d.score < highScore);

    const first = this.associate(this.confirmed, high, matchIou, now);
    const recentlySeen = first.unmatchedTracks.filter((t) => t.misses === 0);
    const second = this.associate(recentlySeen, low, lowMatchIou, now);
    const third = this.associate(this.tentative, first.unmatchedDetections, matchIou, now);

    const matched = new Set<MutableTrack>([...first.matched, ...second.matched]);
    const ended: Track[] = [];
    const stillConfirmed: MutableTrack[] = [];
    for (const track of this.confirmed) {
      if (!matched.has(track)) track.misses += 1;
      if (track.misses > maxMisses) ended.push(snapshot(track));
      else stillConfirmed.push(track);
    }
    // A tentative track that misses one frame was noise: it disappears without ever having an id.
    const stillTentative: MutableTrack[] = [];
    for (const track of third.matched) {
      if (track.hits >= this.options.minHits) this.confirm(track, stillConfirmed);
      else stillTentative.push(track);
    }
    for (const detection of third.unmatchedDetections) {
      if (detection.score < newTrackScore) continue;
      const track = this.open(detection, now);
      if (track.hits >= this.options.minHits) this.confirm(track, stillConfirmed);
      else stillTentative.push(track);
    }
    this.confirmed = stillConfirmed;
    this.tentative = stillTentative;
    return { active: this.confirmed.map(snapshot), ended };
  }

  /** Minimum-cost matching on 1 - IoU between predicted track boxes and detections of the same class. */
  private associate(
    tracks: readonly MutableTrack[],
    detections: readonly Detection[],
    minIou: number,
    now: number,
  ): { matched: MutableTrack[]; unmatchedTracks: MutableTrack[]; unmatchedDetections: Detection[] } {
    const predicted = tracks.map((track) => this.predictedBox(track, now));
    const cost = predicted.map((box, t) => detections.map((det) => (det.classId === tracks[t]!.classId ? 1 - iou(box, det.box) : Number.POSITIVE_INFINITY)));
    const pairs = linearAssignment(cost, 1 - minIou);
    const matchedTracks = new Set<number>();
    const matchedDetections = new Set<number>();
    for (const [t, d] of pairs) {
      matchedTracks.add(t);
      matchedDetections.add(d);
      this.extend(tracks[t]!, detections[d]!, now);
    }
    return {
      matched: tracks.filter((_, t) => matchedTracks.has(t)),
      unmatchedTracks: tracks.filter((_, t) => !matchedTracks.has(t)),
      unmatchedDetections: detections.filter((_, d) => !matchedDetections.has(d)),
    };
  }

  private predictedBox(track: MutableTrack, now: number): Box {
    if (!this.options.predict) return track.box;
    const dt = now - track.lastSeen;
    const dx = track.vx * dt;
    const dy = track.vy * dt;
    const [x1, y1, x2, y2] = track.box;
    return [x1 + dx, y1 + dy, x2 + dx, y2 + dy];
  }

  private open(det: Detection, now: number): MutableTrack {
    return {
      id: 0,
      label: det.label,
      classId: det.classId,
      box: det.box,
      score: det.score,
      scores: [det.score],
      firstSeen: now,
      lastSeen: now,
      anchors: [anchorOf(det.box)],
      misses: 0,
      hits: 1,
      vx: 0,
      vy: 0,
    };
  }

  private confirm(track: MutableTrack, into: MutableTrack[]): void {
    track.id = this.nextTrackId();
    into.push(track);
  }

  private extend(track: MutableTrack, det: Detection, now: number): void {
    const dt = now - track.lastSeen;
    if (dt > 0) {
      const vx = (centreX(det.box) - centreX(track.box)) / dt;
      const vy = (centreY(det.box) - centreY(track.box)) / dt;
      // The first step sets the velocity; later ones smooth it, as one noisy box should not fling the track.
      const keep = track.hits > 1 ? 0.5 : 0;
      track.vx = keep * track.vx + (1 - keep) * vx;
      track.vy = keep * track.vy + (1 - keep) * vy;
    }
    track.box = det.box;
    track.score = det.score;
    track.lastSeen = now;
    track.misses = 0;
    track.hits += 1;
    pushBounded(track.scores, det.score, this.options.historyLength);
    pushBounded(track.anchors, anchorOf(det.box), this.options.historyLength);
  }
}

const centreX = (box: Box): number => (box[0] + box[2]) / 2;
const centreY = (box: Box): number => (box[1] + box[3]) / 2;

function pushBounded<T>(list: T[], value: T, limit: number): void {
  list.push(value);
  if (list.length > limit) list.splice(0, list.length - limit);
}

function snapshot(track: MutableTrack): Track {
  return {
    id: track.id,
    label: track.label,
    classId: track.classId,
    box: track.box,
    score: track.score,
    scores: [...track.scores],
    firstSeen: track.firstSeen,
    lastSeen: track.lastSeen,
    anchors: [...track.anchors],
    misses: track.misses,
  };
}
