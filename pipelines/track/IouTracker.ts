import { anchorOf, iou } from '../rules/geometry.js';
import type { Tracker } from '../stages.js';
import type { Detection, Point, Track } from '../types.js';

export interface IouTrackerOptions {
  /** a detection joins a track of the same class only above this overlap */
  readonly minIou: number;
  /** frames a track survives without a matching detection before it ends */
  readonly maxMisses: number;
  /** how many recent scores and anchors a track keeps */
  readonly historyLength: number;
}

export const DEFAULT_TRACKER_OPTIONS: IouTrackerOptions = { minIou: 0.3, maxMisses: 10, historyLength: 30 };

interface MutableTrack {
  id: number;
  label: string;
  classId: number;
  box: Detection['box'];
  score: number;
  scores: number[];
  firstSeen: number;
  lastSeen: number;
  anchors: Point[];
  misses: number;
}

/**
 * Greedy IoU association, one class at a time. It gives each object an id that is never reused
 * while the process lives, which is all the minimal policy needs; a ByteTrack-style two-stage
 * tracker can replace it behind the same `Tracker` interface.
 */
export class IouTracker implements Tracker {
  private readonly options: IouTrackerOptions;
  private readonly tracks: MutableTrack[] = [];
  private nextId = 1;

  constructor(options: Partial<IouTrackerOptions> = {}) {
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options };
  }

  update(detections: readonly Detection[], now: number): { active: Track[]; ended: Track[] } {
    const pairs: { t: number; d: number; overlap: number }[] = [];
    this.tracks.forEach((track, t) => {
      detections.forEach((det, d) => {
        if (det.classId !== track.classId) return;
        const overlap = iou(track.box, det.box);
        if (overlap >= this.options.minIou) pairs.push({ t, d, overlap });
      });
    });
    pairs.sort((a, b) => b.overlap - a.overlap);

    const matchedTracks = new Set<number>();
    const matchedDetections = new Set<number>();
    for (const { t, d } of pairs) {
      if (matchedTracks.has(t) || matchedDetections.has(d)) continue;
      matchedTracks.add(t);
      matchedDetections.add(d);
      this.extend(this.tracks[t]!, detections[d]!, now);
    }

    const ended: Track[] = [];
    for (let t = this.tracks.length - 1; t >= 0; t--) {
      if (matchedTracks.has(t)) continue;
      const track = this.tracks[t]!;
      track.misses += 1;
      if (track.misses > this.options.maxMisses) {
        ended.push(snapshot(track));
        this.tracks.splice(t, 1);
      }
    }
    detections.forEach((det, d) => {
      if (!matchedDetections.has(d)) this.tracks.push(this.open(det, now));
    });
    return { active: this.tracks.map(snapshot), ended };
  }

  private open(det: Detection, now: number): MutableTrack {
    return {
      id: this.nextId++,
      label: det.label,
      classId: det.classId,
      box: det.box,
      score: det.score,
      scores: [det.score],
      firstSeen: now,
      lastSeen: now,
      anchors: [anchorOf(det.box)],
      misses: 0,
    };
  }

  private extend(track: MutableTrack, det: Detection, now: number): void {
    track.box = det.box;
    track.score = det.score;
    track.lastSeen = now;
    track.misses = 0;
    pushBounded(track.scores, det.score, this.options.historyLength);
    pushBounded(track.anchors, anchorOf(det.box), this.options.historyLength);
  }
}

function pushBounded<T>(list: T[], value: T, limit: number): void {
  list.push(value);
  if (list.length > limit) list.splice(0, list.length - limit);
}

function snapshot(track: MutableTrack): Track {
  return { ...track, scores: [...track.scores], anchors: [...track.anchors] };
}
