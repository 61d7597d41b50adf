import { readFileSync } from 'node:fs';
import type { Box } from '../../pipelines/types.js';
import type { SceneTruth } from '../scenes/buildScenes.js';
import {
  alertOccurrences,
  duplicateEvents,
  matchOccurrences,
  objectUnder,
  openEvents,
  overlappingEventPairs,
  type AlertLine,
  type EventOccurrence,
  type MatchResult,
  type OpenEvent,
  type TrackFrame,
} from './eventMetrics.js';
import { trackingMetrics, type TrackingMetrics } from './trackingMetrics.js';
import { countCrossings, switchesPerTenCrossings } from './truthCrossings.js';

/** Seconds a predicted event may be off its truth and still match it, per rule type. */
export const TOLERANCE_SECONDS = {
  line_crossing: 1,
  zone_intrusion: 1,
  loitering: 1,
  crowding: 1,
  object_present: 1,
} as const;
export type EvalRuleType = keyof typeof TOLERANCE_SECONDS;
export const RULE_TYPES_EVALUATED = Object.keys(TOLERANCE_SECONDS) as EvalRuleType[];

/** Truth boxes hidden more than this (behind someone, off the frame) are not expected of the tracker. */
export const MIN_VISIBILITY = 0.5;
/** IoU for a track to be on a truth object (CLEAR-MOT and ID matching, event attribution) */
export const MATCH_IOU = 0.5;

export interface SceneEvaluation {
  readonly scene: string;
  readonly tracking: TrackingMetrics;
  /** crossings of two people in the truth (truthCrossings.ts), and id switches per ten of them (null: none) */
  readonly crossings: number;
  readonly idSwitchesPerTenCrossings: number | null;
  readonly events: Record<EvalRuleType, Omit<MatchResult, 'pairs'>>;
  /** events that started while another of the same rule about the same truth object was open */
  readonly duplicates: number;
  readonly duplicateEvents: readonly OpenEvent[];
  /** truth occurrences no prediction matched, and predictions that matched none: what to look at */
  readonly missed: readonly EventOccurrence[];
  readonly spurious: readonly EventOccurrence[];
}

interface DecisionLine {
  frame: number;
  decision: {
    ruleId: string;
    trackId: number | null;
    outcome: string;
    state?: 'start' | 'update' | 'end';
    reason: string;
    event?: { line?: { direction?: string } };
  };
  object?: { bbox: Box };
}

interface TracksLine {
  frame: number;
  tracks: { id: number; label: string; box: Box; misses: number }[];
}

const jsonLines = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);

/** The alert lines of a decisions file, with each rule's type from `ruleTypes`. */
export function readAlerts(path: string, ruleTypes: ReadonlyMap<string, string>): AlertLine[] {
  return jsonLines<DecisionLine>(path)
    .filter((line) => line.decision.outcome === 'alert' && line.decision.state !== undefined)
    .map((line) => ({
      frame: line.frame,
      ruleId: line.decision.ruleId,
      ruleType: ruleTypes.get(line.decision.ruleId) ?? 'unknown',
      trackId: line.decision.trackId,
      state: line.decision.state!,
      reason: line.decision.reason,
      ...(line.decision.event?.line?.direction === undefined ? {} : { direction: line.decision.event.line.direction }),
      ...(line.object === undefined ? {} : { box: line.object.bbox }),
    }));
}

/** The tracks file: per frame, the tracks matched on it (misses 0) whose label is one of `labels`. */
export function readTracks(path: string, labels: readonly string[]): TrackFrame[] {
  return jsonLines<TracksLine>(path).map((line) => ({
    frame: line.frame,
    tracks: line.tracks.filter((t) => t.misses === 0 && labels.includes(t.label)).map((t) => ({ id: t.id, box: t.box })),
  }));
}

/**
 * A scene's replay against its truth: tracking of people (the truth's moving objects, visible at
 * least MIN_VISIBILITY; tracks labelled person), and each rule type's events matched within its
 * tolerance, with duplicates.
 */
export function evaluateScene(truth: SceneTruth, decisionsPath: string, tracksPath: string): SceneEvaluation {
  const ruleTypes = new Map<string, string>([
    [truth.rules.line, 'line_crossing'],
    [truth.rules.zone, 'zone_intrusion'],
    [truth.rules.loitering, 'loitering'],
    [truth.rules.crowding, 'crowding'],
    [truth.rules.vehicle, 'object_present'],
    // Scenes generated before the vehicle line rule have none.
    ...(truth.rules.vehicleLine === undefined ? [] : [[truth.rules.vehicleLine, 'line_crossing'] as const]),
  ]);
  const people = new Set(truth.objects.filter((o) => o.label === 'person').map((o) => o.id));
  const trackFrames = new Map(readTracks(tracksPath, ['person']).map((f) => [f.frame, f.tracks]));
  const tracking = trackingMetrics(
    truth.frames.map((f) => ({
      truth: f.boxes.filter((b) => people.has(b.id) && b.visibility >= MIN_VISIBILITY).map((b) => ({ id: b.id, box: b.box })),
      tracks: trackFrames.get(f.frame) ?? [],
    })),
    MATCH_IOU,
  );

  const objectAt = (frame: number, box: Box): string | undefined =>
    objectUnder(
      box,
      (truth.frames[frame - 1]?.boxes ?? []).filter((b) => b.visibility > 0),
      MATCH_IOU,
    );
  const alerts = readAlerts(decisionsPath, ruleTypes);
  const predicted = alertOccurrences(alerts, truth.fps, objectAt);
  const truthEvents: EventOccurrence[] = truth.events.map((e) => ({
    rule: e.rule,
    kind: e.kind,
    time: e.time,
    ...(e.object === undefined ? {} : { object: e.object }),
    ...(e.direction === undefined ? {} : { direction: e.direction }),
  }));
  const events = {} as Record<EvalRuleType, Omit<MatchResult, 'pairs'>>;
  const missed: EventOccurrence[] = [];
  const spurious: EventOccurrence[] = [];
  for (const type of RULE_TYPES_EVALUATED) {
    const rules = new Set([...ruleTypes].filter(([, t]) => t === type).map(([id]) => id));
    const t = truthEvents.filter((e) => rules.has(e.rule));
    const p = predicted.filter((e) => rules.has(e.rule));
    const { pairs, ...result } = matchOccurrences(t, p, TOLERANCE_SECONDS[type]);
    events[type] = result;
    missed.push(...t.filter((_, i) => !pairs.some(([ti]) => ti === i)));
    spurious.push(...p.filter((_, j) => !pairs.some(([, pj]) => pj === j)));
  }
  const duplicates = duplicateEvents(openEvents(alerts, objectAt));
  const crossings = countCrossings(truth.frames, people, MIN_VISIBILITY);
  return {
    scene: truth.scene,
    tracking,
    crossings,
    idSwitchesPerTenCrossings: switchesPerTenCrossings(tracking.idSwitches, crossings),
    events,
    duplicates: duplicates.length,
    duplicateEvents: duplicates,
    missed,
    spurious,
  };
}

/**
 * Duplicates on a clip without truth: pairs of events of one rule on two tracks whose boxes
 * overlap by IoU >= 0.7 on at least `minFrames` frames while both are open (eventMetrics.ts).
 */
export function clipDuplicates(
  decisionsPath: string,
  tracksPath: string,
  ruleTypes: ReadonlyMap<string, string>,
  minFrames: number,
): ReturnType<typeof overlappingEventPairs> {
  const alerts = readAlerts(decisionsPath, ruleTypes);
  const labels = [...new Set(jsonLines<TracksLine>(tracksPath).flatMap((line) => line.tracks.map((t) => t.label)))];
  return overlappingEventPairs(
    openEvents(alerts, () => undefined),
    readTracks(tracksPath, labels),
    0.7,
    minFrames,
  );
}
