import { describe, expect, it } from 'vitest';
import {
  alertOccurrences,
  duplicateEvents,
  matchOccurrences,
  objectUnder,
  openEvents,
  overlappingEventPairs,
  type AlertLine,
  type EventOccurrence,
} from '../../../../bench/eval/eventMetrics.js';
import type { Box } from '../../../../pipelines/types.js';

const A: Box = [0, 0, 0.25, 0.25];
const B: Box = [0.5, 0.5, 0.75, 0.75];
const cross = (time: number, direction: string, object = 'x'): EventOccurrence => ({ rule: 'line', kind: 'cross', time, direction, object });

describe('matchOccurrences', () => {
  it('matches within the tolerance, on direction and object, one to one', () => {
    const truth = [cross(3, 'out'), cross(10, 'in')];
    const predicted = [
      cross(3.8, 'out'), // 0.8 s late: a match
      cross(10, 'out'), // on time, wrong way
      cross(11.2, 'in'), // right way, 1.2 s late
      cross(3, 'out', 'y'), // on time, another object
    ];
    const r = matchOccurrences(truth, predicted, 1);
    expect(r).toMatchObject({ truth: 2, predicted: 4, matched: 1, precision: 0.25, recall: 0.5, pairs: [[0, 0]] });
    expect(r.meanAbsError).toBeCloseTo(0.8, 12);
  });

  it('pairs the closest in time first, so one early prediction does not take a later truth', () => {
    const truth = [cross(5, 'in'), cross(5.6, 'in')];
    const predicted = [cross(5.5, 'in'), cross(4.5, 'in')];
    const r = matchOccurrences(truth, predicted, 1);
    expect(r.pairs).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(r.meanAbsError).toBeCloseTo(0.3, 12);
  });

  it('needs the same rule and kind; a truth without an object (a crowd) takes any', () => {
    const truth: EventOccurrence[] = [{ rule: 'crowd', kind: 'crowd_start', time: 4 }];
    const predicted: EventOccurrence[] = [
      { rule: 'crowd', kind: 'crowd_end', time: 4 },
      { rule: 'other', kind: 'crowd_start', time: 4 },
      { rule: 'crowd', kind: 'crowd_start', time: 4.5 },
    ];
    expect(matchOccurrences(truth, predicted, 1)).toMatchObject({ matched: 1, pairs: [[0, 2]] });
  });

  it('scores nothing expected and nothing found as perfect; with nothing expected nothing was missed', () => {
    expect(matchOccurrences([], [], 1)).toMatchObject({ precision: 1, recall: 1 });
    expect(matchOccurrences([cross(1, 'in')], [], 1)).toMatchObject({ precision: 0, recall: 0 });
    expect(matchOccurrences([], [cross(1, 'in')], 1)).toMatchObject({ precision: 0, recall: 1 });
  });
});

describe('alertOccurrences', () => {
  it('turns alerts into occurrences: crossings from starts and line_crossed updates, zone starts and ends, crowd starts and ends', () => {
    const objectAt = (_frame: number, box: Box): string | undefined => (box === A ? 'x' : box === B ? 'y' : undefined);
    const alerts: AlertLine[] = [
      { frame: 11, ruleId: 'zone', ruleType: 'zone_intrusion', trackId: 1, state: 'start', reason: 'matched', box: A },
      { frame: 31, ruleId: 'line', ruleType: 'line_crossing', trackId: 1, state: 'start', reason: 'matched', direction: 'out', box: A },
      { frame: 41, ruleId: 'loiter', ruleType: 'loitering', trackId: 1, state: 'update', reason: 'dwell_threshold_passed', box: A },
      { frame: 51, ruleId: 'zone', ruleType: 'zone_intrusion', trackId: 1, state: 'end', reason: 'track_lost', box: B },
      { frame: 61, ruleId: 'crowd', ruleType: 'crowding', trackId: null, state: 'start', reason: 'matched' },
      { frame: 71, ruleId: 'crowd', ruleType: 'crowding', trackId: null, state: 'update', reason: 'crowd_count_changed' },
      { frame: 81, ruleId: 'crowd', ruleType: 'crowding', trackId: null, state: 'end', reason: 'crowd_dispersed' },
      { frame: 101, ruleId: 'line', ruleType: 'line_crossing', trackId: 1, state: 'update', reason: 'line_crossed', direction: 'in', box: B },
      { frame: 111, ruleId: 'line', ruleType: 'line_crossing', trackId: 1, state: 'end', reason: 'track_lost', box: B },
      { frame: 1, ruleId: 'van', ruleType: 'object_present', trackId: 2, state: 'start', reason: 'matched', box: B },
    ];
    expect(alertOccurrences(alerts, 10, objectAt)).toEqual([
      { rule: 'zone', kind: 'enter', time: 1, object: 'x' },
      { rule: 'line', kind: 'cross', time: 3, object: 'x', direction: 'out' },
      // an end is about the object its start was about, wherever the last box was
      { rule: 'zone', kind: 'exit', time: 5, object: 'x' },
      { rule: 'crowd', kind: 'crowd_start', time: 6 },
      { rule: 'crowd', kind: 'crowd_end', time: 8 },
      // an update names the object under its own box
      { rule: 'line', kind: 'cross', time: 10, object: 'y', direction: 'in' },
      { rule: 'van', kind: 'present', time: 0, object: 'y' },
    ]);
  });
});

describe('duplicates', () => {
  const start = (frame: number, ruleId: string, trackId: number, box: Box): AlertLine => ({
    frame,
    ruleId,
    ruleType: 'object_present',
    trackId,
    state: 'start',
    reason: 'matched',
    box,
  });
  const end = (frame: number, ruleId: string, trackId: number): AlertLine => ({
    frame,
    ruleId,
    ruleType: 'object_present',
    trackId,
    state: 'end',
    reason: 'track_lost',
  });
  const objectAt = (_frame: number, box: Box): string | undefined =>
    objectUnder(
      box,
      [
        { id: 'x', box: A },
        { id: 'y', box: B },
      ],
      0.5,
    );

  it('counts an event that starts while another of the same rule about the same object is open', () => {
    const alerts = [
      start(1, 'present', 1, A),
      start(5, 'present', 2, B), // another object
      start(5, 'other', 3, A), // another rule
      start(10, 'present', 4, A), // x again while track 1's event is open: a duplicate
      end(20, 'present', 4),
      end(50, 'present', 1),
      start(50, 'present', 5, A), // starts as track 1's event ends: not a duplicate
    ];
    const events = openEvents(alerts, objectAt);
    expect(events.map((e) => [e.trackId, e.startFrame, e.endFrame, e.object])).toEqual([
      [1, 1, 50, 'x'],
      [2, 5, undefined, 'y'],
      [3, 5, undefined, 'x'],
      [4, 10, 20, 'x'],
      [5, 50, undefined, 'x'],
    ]);
    expect(duplicateEvents(events).map((e) => e.trackId)).toEqual([4]);
  });

  it('counts one of two events that start together about one object, not both', () => {
    const events = openEvents([start(1, 'present', 1, A), start(1, 'present', 2, A)], objectAt);
    expect(duplicateEvents(events).map((e) => e.trackId)).toEqual([2]);
  });

  it('without truth: pairs of open events whose tracks overlap by IoU >= 0.7 for enough frames', () => {
    const nearA: Box = [0, 0, 0.25, 0.1875]; // IoU 0.75 with A
    const halfA: Box = [0, 0, 0.25, 0.125]; // IoU 0.5 with A
    const frames = [1, 2, 3, 4, 5, 6].map((frame) => ({
      frame,
      tracks: [
        { id: 1, box: A },
        { id: 2, box: nearA },
        { id: 3, box: halfA },
        // track 4 on track 1's box only on frames 1 and 2
        ...(frame <= 2 ? [{ id: 4, box: A }] : []),
      ],
    }));
    const events = openEvents(
      [start(1, 'v', 1, A), start(1, 'v', 2, nearA), start(1, 'v', 3, halfA), start(1, 'v', 4, A), start(2, 'w', 5, A)],
      () => undefined,
    );
    expect(overlappingEventPairs(events, frames, 0.7, 5)).toEqual([{ rule: 'v', tracks: [1, 2], frames: 6 }]);
  });
});
