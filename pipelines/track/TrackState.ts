import { anchorOf } from '../geometry.js';
import type { Box, Detection, Point, Track } from '../types.js';

/** Detections seen with one label on one track: how often, and how sure. */
interface LabelVotes {
  frames: number;
  scoreSum: number;
  classId: number;
}

/**
 * One track's mutable state inside the tracker. Its velocity is measured between confident
 * observed boxes only (never from predictions, nor from the low-score boxes of a half-hidden
 * object, whose centre moves as the box is cut): a track picked up again after a gap gets the
 * velocity of the whole gap, as OC-SORT's observation-centric re-update does, instead of the drift
 * of its coasting. The last confident box is kept too: re-linking compares a reappearing object
 * with it, not with the cut-off box the object was last seen as.
 */
export class TrackState {
  /** 0 while tentative */
  id = 0;
  box: Box;
  score: number;
  readonly scores: number[];
  readonly firstSeen: number;
  lastSeen: number;
  readonly anchors: Point[];
  /** analysed frames since the last match */
  misses = 0;
  hits = 1;
  /** box-centre velocity, normalised units per millisecond */
  vx = 0;
  vy = 0;
  /** the last box from a confident detection, and when */
  sureBox: Box;
  sureSeen: number;
  private sureHits = 1;
  /** heights of the last SIZE_MEMORY confident boxes (usualHeight) */
  private readonly sureHeights: number[];
  /** the top edge of the last box that was not cut short (standingPoint) */
  private wholeTop: number;
  /** the tracker's match key for its label or label group (LabelGroups.matchKey) */
  readonly matchKey: number;
  readonly group: string | undefined;
  private readonly votes = new Map<string, LabelVotes>();
  private majority: string;

  constructor(det: Detection, now: number, matchKey: number, group: string | undefined) {
    this.box = det.box;
    this.score = det.score;
    this.scores = [det.score];
    this.firstSeen = now;
    this.lastSeen = now;
    this.anchors = [anchorOf(det.box)];
    this.matchKey = matchKey;
    this.group = group;
    this.majority = det.label;
    this.sureBox = det.box;
    this.sureSeen = now;
    this.sureHeights = [boxHeight(det.box)];
    this.wholeTop = det.box[1];
    this.vote(det);
  }

  /**
   * The median height of the last SIZE_MEMORY confident boxes: the object's size before an
   * occlusion that shrinks its box over a few frames while the detector stays sure of it (a walker
   * going behind a post), when the last confident box is already a cut-off one.
   */
  get usualHeight(): number {
    const sorted = [...this.sureHeights].sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  }

  /** The label seen on most frames; a tie goes to the higher summed score, then stays with the label already reported. */
  get label(): string {
    return this.majority;
  }

  get classId(): number {
    return this.votes.get(this.majority)!.classId;
  }

  /** `confident`: the detection is sure enough (first-stage score) to measure velocity and size by. */
  extend(det: Detection, now: number, historyLength: number, confident = true): void {
    const dt = now - this.sureSeen;
    if (confident && dt > 0) {
      const vx = (centreX(det.box) - centreX(this.sureBox)) / dt;
      const vy = (centreY(det.box) - centreY(this.sureBox)) / dt;
      // The first step sets the velocity; later ones smooth it, as one noisy box should not fling the track.
      const keep = this.sureHits > 1 ? 0.5 : 0;
      this.vx = keep * this.vx + (1 - keep) * vx;
      this.vy = keep * this.vy + (1 - keep) * vy;
    }
    // Judged against the height and top before this box, which may itself be a cut-off one.
    const anchor = this.measureStandingPoint(det.box);
    if (confident) {
      this.sureBox = det.box;
      this.sureSeen = now;
      this.sureHits += 1;
      pushBounded(this.sureHeights, boxHeight(det.box), SIZE_MEMORY);
    }
    this.box = det.box;
    this.score = det.score;
    this.lastSeen = now;
    this.misses = 0;
    this.hits += 1;
    pushBounded(this.scores, det.score, historyLength);
    pushBounded(this.anchors, anchor, historyLength);
    this.vote(det);
  }

  /**
   * Where the object stands, seen as `box`: the bottom-centre, or, when the box is cut short from
   * below (under CUT_HEIGHT_RATIO of the usual height, its top within TOP_TOLERANCE usual heights
   * of the last whole box's top: a person behind a passer-by, a car behind a bench), the point its
   * usual height below the top, at most the frame's bottom edge. Zones and lines judge this point,
   * so the feet of a standing person do not jump up and out of a zone while someone walks past in
   * front. A box that shrank from the top (sitting down) or moved keeps its bottom-centre. Remembers
   * the top of a whole box.
   */
  private measureStandingPoint(box: Box): Point {
    const usual = this.usualHeight;
    const cutShort = boxHeight(box) < CUT_HEIGHT_RATIO * usual && Math.abs(box[1] - this.wholeTop) <= TOP_TOLERANCE * usual;
    if (!cutShort) {
      this.wholeTop = box[1];
      return anchorOf(box);
    }
    return [centreX(box), Math.min(1, box[1] + usual)];
  }

  /** The box moved along the velocity for `min(now - lastSeen, maxMs)`. */
  predictedBox(now: number, maxMs = Number.POSITIVE_INFINITY): Box {
    const dt = Math.min(now - this.lastSeen, maxMs);
    const dx = this.vx * dt;
    const dy = this.vy * dt;
    const [x1, y1, x2, y2] = this.box;
    return [x1 + dx, y1 + dy, x2 + dx, y2 + dy];
  }

  /**
   * OC-SORT's velocity direction consistency: 0 when the step from the last observed box to `box`
   * goes the way the track was moving, 1 when it goes straight back, 0.5 at right angles; 0 for a
   * track without a direction yet (fewer than three observations, or standing still).
   */
  directionCost(box: Box, minSpeed: number): number {
    const speed = Math.hypot(this.vx, this.vy);
    if (this.hits < 3 || speed < minSpeed) return 0;
    const dx = centreX(box) - centreX(this.box);
    const dy = centreY(box) - centreY(this.box);
    const step = Math.hypot(dx, dy);
    if (step === 0) return 0;
    const cos = Math.max(-1, Math.min(1, (dx * this.vx + dy * this.vy) / (step * speed)));
    return Math.acos(cos) / Math.PI;
  }

  snapshot(): Track {
    return {
      id: this.id,
      label: this.label,
      classId: this.classId,
      ...(this.group === undefined ? {} : { group: this.group }),
      box: this.box,
      score: this.score,
      scores: [...this.scores],
      firstSeen: this.firstSeen,
      lastSeen: this.lastSeen,
      anchors: [...this.anchors],
      misses: this.misses,
    };
  }

  private vote(det: Detection): void {
    let votes = this.votes.get(det.label);
    if (votes === undefined) {
      votes = { frames: 0, scoreSum: 0, classId: det.classId };
      this.votes.set(det.label, votes);
    }
    votes.frames += 1;
    votes.scoreSum += det.score;
    const current = this.votes.get(this.majority)!;
    if (votes.frames > current.frames || (votes.frames === current.frames && votes.scoreSum > current.scoreSum)) this.majority = det.label;
  }
}

/** Confident boxes remembered for usualHeight: two seconds at 5 fps, more than a post takes to pass. */
export const SIZE_MEMORY = 10;
/** A box shorter than this share of the usual height, top in place, is cut off from below (standingPoint). */
export const CUT_HEIGHT_RATIO = 0.8;
/** How far, in usual heights, the top of a cut-short box may be from the last whole box's top. */
export const TOP_TOLERANCE = 0.2;

const boxHeight = (box: Box): number => box[3] - box[1];
export const centreX = (box: Box): number => (box[0] + box[2]) / 2;
export const centreY = (box: Box): number => (box[1] + box[3]) / 2;

function pushBounded<T>(list: T[], value: T, limit: number): void {
  list.push(value);
  if (list.length > limit) list.splice(0, list.length - limit);
}
