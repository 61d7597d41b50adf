import { iou } from '../../pipelines/geometry.js';
import type { Box } from '../../pipelines/types.js';

/** What an event says happened, in the truth's terms (bench/scenes/sceneTruth.ts). */
export type EventKind = 'cross' | 'enter' | 'exit' | 'loiter' | 'crowd_start' | 'crowd_end' | 'present';

/** An event the truth lists or the agent produced: seconds from the clip's start, about an object (none for a crowd). */
export interface EventOccurrence {
  readonly rule: string;
  readonly kind: EventKind;
  readonly time: number;
  /** truth: the object's id; agent: the truth object its track was on, when one was */
  readonly object?: string;
  readonly direction?: string;
}

/** One alert line of replay's decisions file, as much of it as the eval reads. */
export interface AlertLine {
  readonly frame: number;
  readonly ruleId: string;
  readonly ruleType: string;
  readonly trackId: number | null;
  readonly state: 'start' | 'update' | 'end';
  readonly reason: string;
  readonly direction?: string;
  readonly box?: Box;
}

/**
 * The alerts as event occurrences: a line crossing is a `start` or a `line_crossed` update (each
 * later crossing of one object is an update); a zone event's start is an entry, its end an exit
 * (whatever ended it: leaving, or the track being lost); loitering and object_present count their
 * starts; a crowd its start and end. `objectAt(frame, box)` names the truth object under a box.
 * An event's end is about the object its start was about; an update names its own.
 */
export function alertOccurrences(alerts: readonly AlertLine[], fps: number, objectAt: (frame: number, box: Box) => string | undefined): EventOccurrence[] {
  const out: EventOccurrence[] = [];
  const openObject = new Map<string, string | undefined>();
  for (const a of alerts) {
    const time = (a.frame - 1) / fps;
    const key = `${a.ruleId}/${a.trackId}`;
    const object = a.box === undefined ? undefined : objectAt(a.frame, a.box);
    const push = (kind: EventKind, about: string | undefined, direction?: string): void => {
      out.push({ rule: a.ruleId, kind, time, ...(about === undefined ? {} : { object: about }), ...(direction === undefined ? {} : { direction }) });
    };
    if (a.state === 'start') openObject.set(key, object);
    const started = openObject.get(key);
    if (a.state === 'end') openObject.delete(key);
    switch (a.ruleType) {
      case 'line_crossing':
        if (a.state === 'start' || (a.state === 'update' && a.reason === 'line_crossed')) push('cross', object, a.direction);
        break;
      case 'zone_intrusion':
        if (a.state === 'start') push('enter', object);
        if (a.state === 'end') push('exit', started);
        break;
      case 'loitering':
        if (a.state === 'start') push('loiter', object);
        break;
      case 'crowding':
        if (a.state === 'start') push('crowd_start', undefined);
        if (a.state === 'end') push('crowd_end', undefined);
        break;
      case 'object_present':
        if (a.state === 'start') push('present', object);
        break;
      default:
        break;
    }
  }
  return out;
}

export interface MatchResult {
  readonly truth: number;
  readonly predicted: number;
  readonly matched: number;
  readonly precision: number;
  readonly recall: number;
  /** mean |predicted - truth| seconds over the matched pairs */
  readonly meanAbsError: number;
  /** the pairs, as indices into the two lists */
  readonly pairs: readonly (readonly [truth: number, predicted: number])[];
}

/**
 * One-to-one matching of predicted to truth occurrences: a pair must have the same rule, kind,
 * direction (when the truth has one) and object (when the truth names one), and times within
 * `tolerance` seconds; among those, the closest in time pair first (ties: earlier truth, then
 * earlier prediction). Precision = matched / predicted (1 when nothing was expected or found,
 * 0 when something was expected and nothing found); recall = matched / truth (1 when nothing was
 * expected: nothing was missed).
 */
export function matchOccurrences(truth: readonly EventOccurrence[], predicted: readonly EventOccurrence[], tolerance: number): MatchResult {
  const candidates: { i: number; j: number; dt: number }[] = [];
  truth.forEach((t, i) => {
    predicted.forEach((p, j) => {
      if (p.rule !== t.rule || p.kind !== t.kind) return;
      if (t.direction !== undefined && p.direction !== t.direction) return;
      if (t.object !== undefined && p.object !== t.object) return;
      const dt = Math.abs(p.time - t.time);
      if (dt <= tolerance + 1e-9) candidates.push({ i, j, dt });
    });
  });
  candidates.sort((a, b) => a.dt - b.dt || a.i - b.i || a.j - b.j);
  const usedTruth = new Set<number>();
  const usedPredicted = new Set<number>();
  const pairs: [number, number][] = [];
  let errorSum = 0;
  for (const { i, j, dt } of candidates) {
    if (usedTruth.has(i) || usedPredicted.has(j)) continue;
    usedTruth.add(i);
    usedPredicted.add(j);
    pairs.push([i, j]);
    errorSum += dt;
  }
  const matched = pairs.length;
  return {
    truth: truth.length,
    predicted: predicted.length,
    matched,
    precision: predicted.length === 0 ? (truth.length === 0 ? 1 : 0) : matched / predicted.length,
    recall: truth.length === 0 ? 1 : matched / truth.length,
    meanAbsError: matched === 0 ? 0 : errorSum / matched,
    pairs: pairs.sort((a, b) => a[0] - b[0]),
  };
}

/** An event of one (rule, track) from its start alert to its end alert (or the clip's end). */
export interface OpenEvent {
  readonly rule: string;
  readonly trackId: number;
  readonly startFrame: number;
  /** the frame of its end alert; undefined while still open when the clip ended */
  readonly endFrame?: number;
  readonly object?: string;
}

/** The per-object events (crowding has none) as intervals, with the truth object of their start. */
export function openEvents(alerts: readonly AlertLine[], objectAt: (frame: number, box: Box) => string | undefined): OpenEvent[] {
  const events: OpenEvent[] = [];
  const open = new Map<string, number>();
  for (const a of alerts) {
    if (a.trackId === null) continue;
    const key = `${a.ruleId}/${a.trackId}`;
    if (a.state === 'start') {
      open.set(key, events.length);
      const object = a.box === undefined ? undefined : objectAt(a.frame, a.box);
      events.push({ rule: a.ruleId, trackId: a.trackId, startFrame: a.frame, ...(object === undefined ? {} : { object }) });
    } else if (a.state === 'end') {
      const at = open.get(key);
      if (at === undefined) continue;
      open.delete(key);
      events[at] = { ...events[at]!, endFrame: a.frame };
    }
  }
  return events;
}

/**
 * Duplicates against the truth: events that start while another event of the same rule about
 * the same truth object is still open (one object, two open events). An event ending on the
 * frame another starts does not overlap it.
 */
export function duplicateEvents(events: readonly OpenEvent[]): OpenEvent[] {
  return events.filter((e, i) =>
    events.some(
      (o, j) =>
        j !== i &&
        o.rule === e.rule &&
        e.object !== undefined &&
        o.object === e.object &&
        o.startFrame <= e.startFrame &&
        (o.endFrame === undefined || o.endFrame > e.startFrame) &&
        (o.startFrame < e.startFrame || j < i),
    ),
  );
}

/** One frame of replay's tracks file: the tracks matched on that frame. */
export interface TrackFrame {
  readonly frame: number;
  readonly tracks: readonly { readonly id: number; readonly box: Box }[];
}

/**
 * Duplicates without a truth (the shared clip): pairs of events of the same rule, on different
 * tracks, both open on at least `minFrames` frames where both tracks were matched and their boxes
 * overlap by IoU >= `minIou`: two events for what is one object on screen (a van that is both a
 * car and a truck). People walking past each other overlap that much only for a moment.
 */
export function overlappingEventPairs(
  events: readonly OpenEvent[],
  frames: readonly TrackFrame[],
  minIou: number,
  minFrames: number,
): { rule: string; tracks: [number, number]; frames: number }[] {
  const lastFrame = frames.reduce((max, f) => Math.max(max, f.frame), 0);
  const pairs: { rule: string; tracks: [number, number]; frames: number }[] = [];
  const byFrame = new Map(frames.map((f) => [f.frame, new Map(f.tracks.map((t) => [t.id, t.box]))]));
  events.forEach((a, i) => {
    events.forEach((b, j) => {
      if (j <= i || a.rule !== b.rule || a.trackId === b.trackId) return;
      const from = Math.max(a.startFrame, b.startFrame);
      const to = Math.min(a.endFrame ?? lastFrame, b.endFrame ?? lastFrame);
      let together = 0;
      for (let f = from; f <= to; f++) {
        const boxes = byFrame.get(f);
        const boxA = boxes?.get(a.trackId);
        const boxB = boxes?.get(b.trackId);
        if (boxA && boxB && iou(boxA, boxB) >= minIou) together += 1;
      }
      if (together >= minFrames) pairs.push({ rule: a.rule, tracks: [a.trackId, b.trackId], frames: together });
    });
  });
  return pairs;
}

/** The truth object under a box: the one it overlaps most, at IoU >= minIou; undefined when none does. */
export function objectUnder(box: Box, truth: readonly { readonly id: string; readonly box: Box }[], minIou: number): string | undefined {
  let best: string | undefined;
  let bestIou = minIou;
  for (const t of truth) {
    const overlap = iou(box, t.box);
    if (overlap >= bestIou) {
      best = t.id;
      bestIou = overlap;
    }
  }
  return best;
}
