import { iou } from '../geometry.js';
import type { Tracker, TrackerUpdate } from '../stages.js';
import type { Detection, Track } from '../types.js';
import { DEFAULT_LABEL_GROUPS, LabelGroups, type LabelGroupsConfig } from './LabelGroups.js';
import { linearAssignment } from './linearAssignment.js';
import { relinkCost, type RelinkGates } from './relinkCost.js';
import { TrackState } from './TrackState.js';

export interface ByteTrackerOptions {
  /** detections at or above this score take part in the first association */
  readonly highScore: number;
  /** detections from here up to highScore only extend tracks the first stage left unmatched */
  readonly lowScore: number;
  /** the camera's detection.minScore: detections below it only ever take part in the low-score stage */
  readonly minScore: number;
  /** an unmatched detection this sure opens a new (tentative) track */
  readonly newTrackScore: number;
  /** minimum IoU for the first (high-score) association and for confirming tentative tracks */
  readonly matchIou: number;
  /** minimum IoU for the second (low-score) association */
  readonly lowMatchIou: number;
  /** frames a confirmed track coasts unmatched (still reported, with misses > 0) before it is lost */
  readonly maxMisses: number;
  /** frames a lost track is kept, unreported, for re-linking, before it ends */
  readonly lostFrames: number;
  /** re-linking: most distance between centres, in box heights; 0 turns re-linking off */
  readonly relinkDistance: number;
  /** re-linking: most ratio between the box heights */
  readonly relinkSizeRatio: number;
  /** weight of the velocity-direction term in the first association (OC-SORT's inertia); 0 turns it off */
  readonly directionWeight: number;
  /** consecutive matched frames before a tentative track is confirmed, gets its id and is reported */
  readonly minHits: number;
  /** move unmatched tracks along their recent velocity before matching */
  readonly predict: boolean;
  /** recent scores and anchors kept per track */
  readonly historyLength: number;
  /** labels that are one kind of object: matched across, and reported with the group */
  readonly labelGroups: LabelGroupsConfig;
}

export const DEFAULT_BYTE_TRACKER_OPTIONS: ByteTrackerOptions = {
  highScore: 0.5,
  lowScore: 0.1,
  minScore: 0.25,
  newTrackScore: 0.6,
  matchIou: 0.3,
  lowMatchIou: 0.5,
  maxMisses: 10,
  lostFrames: 15,
  relinkDistance: 1,
  relinkSizeRatio: 1.5,
  directionWeight: 0.2,
  minHits: 2,
  predict: true,
  historyLength: 30,
  labelGroups: DEFAULT_LABEL_GROUPS,
};

/** A re-link extrapolates the velocity for at most this long: past it, where the object was going says little. */
const MAX_RELINK_EXTRAPOLATION_MS = 1500;
/** Below this speed (normalised units per ms: 0.02 of the frame per second) a track has no direction worth keeping. */
const MIN_DIRECTION_SPEED = 0.02 / 1000;

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

interface Association {
  readonly matched: TrackState[];
  readonly unmatchedTracks: TrackState[];
  readonly unmatchedDetections: Detection[];
}

/**
 * ByteTrack-style multi-object tracker (Zhang et al., 2022) with OC-SORT's observation-centric
 * cues (Cao et al., 2023) and a lost-track buffer. Each frame:
 * 1. confident detections (at or above `highScore` and `minScore`) are matched to confirmed tracks,
 *    live or coasting, by IoU with the tracks' predicted boxes plus a velocity-direction term
 *    (minimum-cost assignment; labels of one label group match each other, as one van is car on
 *    one frame and truck on the next); the direction term keeps two people whose paths cross on
 *    their own tracks; a detection that a track left unmatched could also have taken is two objects
 *    seen as one (one hides the other) and moves neither the track it goes to nor its velocity;
 * 2. low-score detections (from `lowScore`, including those under the camera's `minScore`) are
 *    matched to the tracks still unmatched that were seen last frame: an occluded or blurred object
 *    stays on its track instead of being dropped;
 * 3. re-linking: the confident detections still unmatched are matched to the confirmed tracks still
 *    unmatched (seen last frame, coasting, or lost and unreported) by distance from their predicted
 *    or last seen position in box heights and by size (`relinkCost`): an object that reappears after
 *    a pole or another person keeps its id, so its events continue;
 * 4. the remaining confident detections confirm tentative tracks;
 * 5. what is still unmatched and at least `newTrackScore` opens a tentative track.
 * A confirmed track coasts `maxMisses` frames (reported, misses > 0), is then lost for `lostFrames`
 * frames (not reported, not ended: the rules keep its events open) and then ends, once. Ids come
 * from `nextTrackId`, only on confirmation, so a flicker of false positives burns no ids; an id is
 * never reused. A track reports its majority label and its label group.
 */
export class ByteTracker implements Tracker {
  private readonly options: ByteTrackerOptions;
  private readonly nextTrackId: TrackIdSource;
  private readonly groups: LabelGroups;
  private readonly relinkGates: RelinkGates;
  private confirmed: TrackState[] = [];
  private tentative: TrackState[] = [];

  constructor(deps: ByteTrackerDeps = {}) {
    this.options = { ...DEFAULT_BYTE_TRACKER_OPTIONS, ...deps.options };
    this.nextTrackId = deps.nextTrackId ?? createTrackIdSource();
    this.groups = new LabelGroups(this.options.labelGroups);
    this.relinkGates = {
      maxDistance: this.options.relinkDistance,
      maxSizeRatio: this.options.relinkSizeRatio,
      maxExtrapolationMs: MAX_RELINK_EXTRAPOLATION_MS,
    };
  }

  update(detections: readonly Detection[], now: number, minScore = this.options.minScore): TrackerUpdate & { lost: number } {
    const { highScore, lowScore, newTrackScore, matchIou, lowMatchIou, maxMisses, lostFrames, directionWeight } = this.options;
    const high: Detection[] = [];
    const low: Detection[] = [];
    for (const detection of detections) {
      if (detection.score >= highScore && detection.score >= minScore) high.push(detection);
      else if (detection.score >= lowScore) low.push(detection);
    }
    const live = this.confirmed.filter((track) => track.misses <= maxMisses);
    const lost = this.confirmed.filter((track) => track.misses > maxMisses);

    const first = this.associateByIou(live, high, matchIou, directionWeight, now, true);
    const second = this.associateByIou(
      first.unmatchedTracks.filter((track) => track.misses === 0),
      low,
      lowMatchIou,
      0,
      now,
    );
    // Every confirmed track still unmatched, including one seen last frame: an object whose box jumps
    // (it comes out from behind a post) fails the IoU gate, and its new box would otherwise open a
    // tentative track that is confirmed next frame, before re-linking gets to see it.
    const third = this.relink(
      [...second.unmatchedTracks, ...first.unmatchedTracks.filter((track) => track.misses > 0), ...lost],
      first.unmatchedDetections,
      now,
    );
    const fourth = this.associateByIou(this.tentative, third.unmatchedDetections, matchIou, 0, now);

    const matched = new Set<TrackState>([...first.matched, ...second.matched, ...third.matched]);
    const ended: Track[] = [];
    const stillConfirmed: TrackState[] = [];
    for (const track of this.confirmed) {
      if (!matched.has(track)) track.misses += 1;
      if (track.misses > maxMisses + lostFrames) ended.push(track.snapshot());
      else stillConfirmed.push(track);
    }
    // A tentative track that misses one frame was noise: it disappears without ever having an id.
    const stillTentative: TrackState[] = [];
    for (const track of fourth.matched) {
      if (track.hits >= this.options.minHits) this.confirm(track, stillConfirmed);
      else stillTentative.push(track);
    }
    for (const detection of fourth.unmatchedDetections) {
      if (detection.score < newTrackScore) continue;
      const track = new TrackState(detection, now, this.groups.matchKey(detection.label), this.groups.groupOf(detection.label));
      if (track.hits >= this.options.minHits) this.confirm(track, stillConfirmed);
      else stillTentative.push(track);
    }
    this.confirmed = stillConfirmed;
    this.tentative = stillTentative;
    const active: Track[] = [];
    for (const track of this.confirmed) if (track.misses <= maxMisses) active.push(track.snapshot());
    return { active, ended, lost: this.confirmed.length - active.length };
  }

  /**
   * Minimum-cost matching on 1 - IoU between predicted track boxes and detections of the same label
   * or label group, plus `directionWeight` times the direction cost; pairs under `minIou` are refused.
   */
  private associateByIou(
    tracks: readonly TrackState[],
    detections: readonly Detection[],
    minIou: number,
    directionWeight: number,
    now: number,
    flagMerged = false,
  ): Association {
    const keys = detections.map((det) => this.groups.matchKey(det.label));
    const cost = tracks.map((track) => {
      const predicted = this.options.predict ? track.predictedBox(now) : track.box;
      return detections.map((det, d) => {
        if (keys[d] !== track.matchKey) return Number.POSITIVE_INFINITY;
        const overlap = iou(predicted, det.box);
        if (overlap < minIou) return Number.POSITIVE_INFINITY;
        return 1 - overlap + (directionWeight > 0 ? directionWeight * track.directionCost(det.box, MIN_DIRECTION_SPEED) : 0);
      });
    });
    return this.apply(tracks, detections, cost, 1 - minIou + directionWeight, now, flagMerged);
  }

  /** Tracks that had already missed frames against the confident detections nothing else took (see relinkCost). */
  private relink(tracks: readonly TrackState[], detections: readonly Detection[], now: number): Association {
    if (this.relinkGates.maxDistance <= 0) return { matched: [], unmatchedTracks: [...tracks], unmatchedDetections: [...detections] };
    const keys = detections.map((det) => this.groups.matchKey(det.label));
    const cost = tracks.map((track) =>
      detections.map((det, d) => (keys[d] === track.matchKey ? relinkCost(track, det.box, now, this.relinkGates) : Number.POSITIVE_INFINITY)),
    );
    return this.apply(tracks, detections, cost, this.relinkGates.maxDistance + Math.log(this.relinkGates.maxSizeRatio), now);
  }

  /**
   * `flagMerged`: a detection that a track left unmatched here could also have taken (its cost is
   * finite) is two objects seen as one, one hiding the other: it extends the track it went to but,
   * like a low-score box, measures neither its velocity nor its last confident box (OC-SORT's
   * principle, Cao et al. 2023: a track is measured by observations that are its own). Otherwise a standing
   * person whom a walker passes in front of takes on the walker's boxes, moves with them, and
   * takes the walker when the two come apart.
   */
  private apply(
    tracks: readonly TrackState[],
    detections: readonly Detection[],
    cost: number[][],
    maxCost: number,
    now: number,
    flagMerged = false,
  ): Association {
    // ByteTrack's rule: an unmatched track or detection costs half the limit (see linearAssignment).
    const pairs = linearAssignment(cost, maxCost, { unmatchedCost: maxCost / 2 });
    const matchedTracks = new Set<number>();
    const matchedDetections = new Set<number>();
    for (const [t, d] of pairs) {
      matchedTracks.add(t);
      matchedDetections.add(d);
    }
    for (const [t, d] of pairs) {
      const detection = detections[d]!;
      const merged = flagMerged && tracks.some((_, other) => !matchedTracks.has(other) && Number.isFinite(cost[other]![d]!));
      // Low-score boxes (a half-hidden object) extend the track but measure neither velocity nor size.
      tracks[t]!.extend(detection, now, this.options.historyLength, detection.score >= this.options.highScore && !merged);
    }
    return {
      matched: tracks.filter((_, t) => matchedTracks.has(t)),
      unmatchedTracks: tracks.filter((_, t) => !matchedTracks.has(t)),
      unmatchedDetections: detections.filter((_, d) => !matchedDetections.has(d)),
    };
  }

  private confirm(track: TrackState, into: TrackState[]): void {
    track.id = this.nextTrackId();
    into.push(track);
  }
}
