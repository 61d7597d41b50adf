import { describe, expect, it } from 'vitest';
import { ruleSchema } from '../../../../pipelines/config/rulesSchema.js';
import { scheduleSchema } from '../../../../pipelines/config/scheduleSchema.js';
import type { MaskPolygon } from '../../../../pipelines/privacy/privacyMask.js';
import { RuleFilters } from '../../../../pipelines/rules/RuleFilters.js';
import { Schedule } from '../../../../pipelines/rules/schedule.js';
import type { ConditionResult } from '../../../../pipelines/rules/TrackCondition.js';
import { TrackRule } from '../../../../pipelines/rules/TrackRule.js';
import type { Box, Decision, DecisionReason, Track } from '../../../../pipelines/types.js';
import { ManualClock } from '../../../helpers/manualClock.js';

/**
 * TrackRule on its own: the rule type's condition is a script (what it says on each frame for
 * each track is written in the test), the filters are real, time comes from a ManualClock.
 * What is checked is the turning of condition + filters into one event per (rule, track).
 */

const FRAME_MS = 200;
/** 17:59 UTC: a minute before the schedule used below disarms the rule */
const START = Date.UTC(2026, 0, 14, 17, 59, 0);
const IN_VIEW: Box = [0.4, 0.4, 0.5, 0.6];
const IN_MASK: Box = [0.0, 0.0, 0.1, 0.1];
const mask: MaskPolygon = {
  id: 'window',
  polygon: [
    [0, 0],
    [0.2, 0],
    [0.2, 0.2],
    [0, 0.2],
  ],
};

const holds = (key: string, zoneId = 'z'): ConditionResult => ({
  kind: 'holds',
  values: { key },
  event: { zoneId, count: Number(key.slice(1)) },
  key,
  updateReason: 'line_crossed',
});
const fails = (reason: DecisionReason, endReason?: DecisionReason): ConditionResult =>
  endReason ? { kind: 'fails', reason, values: { why: reason }, endReason } : { kind: 'fails', reason, values: { why: reason } };
const QUIET: ConditionResult = { kind: 'quiet' };

interface Harness {
  readonly clock: ManualClock;
  readonly rule: TrackRule;
  /** conditions created so far, by track id (one per (rule, track) pair) */
  readonly created: number[];
  /** queues what track `id`'s condition says the next time it is asked */
  say(id: number, ...results: ConditionResult[]): void;
  /** one frame later (the first at START): evaluates and returns `#track state reason` per decision */
  frame(active: readonly Track[], ended?: readonly Track[]): string[];
  /** the full decisions of the last frame */
  last(): Decision[];
}

function harness(options: { schedule?: Schedule; masks?: MaskPolygon[]; updateIntervalSeconds?: number } = {}): Harness {
  const clock = new ManualClock(START);
  const config = ruleSchema.parse({
    id: 'r',
    type: 'object_present',
    labels: ['person'],
    minScore: 0.5,
    updateIntervalSeconds: options.updateIntervalSeconds ?? 1,
  });
  const filters = new RuleFilters(config, options.schedule, options.masks ?? [mask]);
  const scripts = new Map<number, ConditionResult[]>();
  const created: number[] = [];
  let nextTrack: number | undefined;
  // TrackRule creates a condition the first time it judges a track; the harness knows which one
  const rule = new TrackRule(config, filters, () => {
    const id = nextTrack!;
    created.push(id);
    return {
      observe: (track) => {
        const result = scripts.get(track.id)?.shift();
        if (!result) throw new Error(`track ${track.id}'s condition was asked with nothing scripted`);
        return result;
      },
    };
  });
  let frames = 0;
  let decisions: Decision[] = [];
  return {
    clock,
    rule,
    created,
    say(id, ...results) {
      scripts.set(id, [...(scripts.get(id) ?? []), ...results]);
    },
    frame(active, ended = []) {
      if (frames++ > 0) clock.advance(FRAME_MS);
      decisions = [];
      for (const track of active) {
        nextTrack = track.id;
        // one track at a time so the factory knows whose condition it builds
        decisions.push(...rule.evaluate({ active: [track], ended: [], now: clock.now() }));
      }
      if (ended.length > 0) decisions.push(...rule.evaluate({ active: [], ended, now: clock.now() }));
      return decisions.map(brief);
    },
    last: () => decisions,
  };
}

function brief(d: Decision): string {
  return `#${d.trackId} ${d.outcome === 'alert' ? d.state : 'suppress'} ${d.reason}`;
}

function person(id: number, options: { box?: Box; score?: number; misses?: number; label?: string } = {}): Track {
  const box = options.box ?? IN_VIEW;
  const score = options.score ?? 0.9;
  return {
    id,
    label: options.label ?? 'person',
    classId: 0,
    box,
    score,
    scores: [score],
    firstSeen: START,
    lastSeen: START,
    anchors: [],
    misses: options.misses ?? 0,
  };
}

describe('TrackRule', () => {
  it('holds starts the event, the same key says nothing, a new key after the interval updates, endReason ends it', () => {
    const h = harness();
    h.say(1, holds('k1'), holds('k1'), holds('k2'), holds('k2'), holds('k2'), holds('k2'), holds('k2'), fails('outside_zone', 'left_zone'));
    const history = [0, 1, 2, 3, 4, 5, 6, 7].map(() => h.frame([person(1)]));
    // frame n at n x 200 ms; interval 1 s: the new key k2 (frame 2) goes out at frame 5 (1000 ms)
    expect(history).toEqual([['#1 start matched'], [], [], [], [], ['#1 update line_crossed'], [], ['#1 end left_zone']]);
  });

  it('an update carries the held event and key even when the frame that sends it is quiet', () => {
    const h = harness();
    h.say(1, holds('k1'), holds('k3', 'z3'), QUIET, QUIET, QUIET, QUIET);
    const history = [0, 1, 2, 3, 4, 5].map(() => h.frame([person(1)]));
    expect(history.flat()).toEqual(['#1 start matched', '#1 update line_crossed']);
    expect(history[5]).toEqual(['#1 update line_crossed']);
    expect(h.last()[0]!.event).toEqual({ zoneId: 'z3', count: 3 });
  });

  it('merges the condition values over the filter values in the decision', () => {
    const h = harness();
    h.say(1, holds('k1'));
    h.frame([person(1, { score: 0.75 })]);
    expect(h.last()[0]!.values).toMatchObject({ key: 'k1', score: 0.75, minScore: 0.5 });
  });

  it('a condition failing without endReason leaves the open event open', () => {
    const h = harness();
    h.say(1, holds('k1'), fails('dwell_too_short'), fails('dwell_too_short'), holds('k1'));
    expect([0, 1, 2, 3].map(() => h.frame([person(1)])).flat()).toEqual(['#1 start matched']);
  });

  it('before an event: quiet says nothing, a failing condition is a suppression once per reason', () => {
    const h = harness();
    h.say(1, QUIET, fails('not_crossed'), fails('not_crossed'), fails('wrong_direction'), holds('k1'));
    const history = [0, 1, 2, 3, 4].map(() => h.frame([person(1)]));
    expect(history).toEqual([[], ['#1 suppress not_crossed'], [], ['#1 suppress wrong_direction'], ['#1 start matched']]);
  });

  it("the end reason is the pair's quiet state: the same failing reason is not reported again after the end", () => {
    const h = harness();
    h.say(1, holds('k1'), fails('outside_zone', 'left_zone'), fails('outside_zone', 'left_zone'), holds('k1'));
    const history = [0, 1, 2, 3].map(() => h.frame([person(1)]));
    expect(history).toEqual([['#1 start matched'], ['#1 end left_zone'], [], ['#1 start matched']]);
  });

  it("a filter blocks the start (named before the condition's own reason); a score dip does not end an open event", () => {
    const h = harness();
    h.say(1, fails('outside_zone'), holds('k1'), holds('k1'), holds('k1'));
    const history = [
      h.frame([person(1, { score: 0.3 })]), // the filter is named, not the condition
      h.frame([person(1)]),
      h.frame([person(1, { score: 0.3 })]), // open: a score dip is noise on the same object
      h.frame([person(1)]),
    ];
    expect(history).toEqual([['#1 suppress below_min_score'], ['#1 start matched'], [], []]);
  });

  it('the privacy mask blocks a start and ends an open event', () => {
    const h = harness();
    h.say(1, holds('k1'), holds('k1'), holds('k1'));
    h.say(2, holds('k1'));
    const history = [h.frame([person(1), person(2, { box: IN_MASK })]), h.frame([person(1, { box: IN_MASK })])];
    expect(history).toEqual([['#1 start matched', '#2 suppress privacy_mask'], ['#1 end privacy_mask']]);
    expect(h.last()[0]!.values).toMatchObject({ privacyMask: 'window' });
  });

  it('a coasting track (missed this frame) is not judged at all: no start, no end, its condition not asked', () => {
    const h = harness();
    h.say(1, holds('k1'), fails('outside_zone', 'left_zone'));
    h.say(2, holds('k1'));
    const history = [h.frame([person(1)]), h.frame([person(1, { misses: 1 }), person(2, { misses: 2 })]), h.frame([person(1)])];
    expect(history).toEqual([['#1 start matched'], [], ['#1 end left_zone']]);
    expect(h.created).toEqual([1]);
  });

  it('tracks of other labels get no decision and no condition', () => {
    const h = harness();
    expect(h.frame([person(5, { label: 'car' })])).toEqual([]);
    expect(h.created).toEqual([]);
  });

  it('a lost track ends its open event as track_lost, with its last held event and when it was last seen', () => {
    const h = harness();
    h.say(1, holds('k4', 'gate'), fails('dwell_too_short'));
    h.say(2, fails('not_crossed'));
    h.frame([person(1), person(2)]);
    h.frame([person(1)]);
    const lost = { ...person(1), lastSeen: START + 200, misses: 3 };
    // track 2 never had an open event: its loss says nothing
    expect(h.frame([], [lost, person(2)])).toEqual(['#1 end track_lost']);
    expect(h.last()[0]).toMatchObject({ values: { lastSeen: START + 200, misses: 3 }, event: { zoneId: 'gate', count: 4 } });
    // the pair is gone: the same id lost again says nothing
    expect(h.frame([], [lost])).toEqual([]);
  });

  it('close ends every open event as policy_replaced and forgets the pairs', () => {
    const h = harness();
    h.say(1, holds('k1', 'a'));
    h.say(2, holds('k2', 'b'));
    h.say(3, fails('not_crossed'));
    h.frame([person(1), person(2), person(3)]);
    const closed = h.rule.close(h.clock.now());
    expect(closed.map(brief)).toEqual(['#1 end policy_replaced', '#2 end policy_replaced']);
    expect(closed.map((d) => d.event)).toEqual([
      { zoneId: 'a', count: 1 },
      { zoneId: 'b', count: 2 },
    ]);
    expect(h.rule.close(h.clock.now())).toEqual([]);
    expect(h.frame([], [person(1)])).toEqual([]);
    // a track seen again gets a fresh condition, not the replaced rule's state
    h.say(2, holds('k1', 'b'));
    expect(h.frame([person(2)])).toEqual(['#2 start matched']);
    expect(h.created).toEqual([1, 2, 3, 2]);
  });

  describe('with a schedule armed 08:00 to 18:00 UTC', () => {
    const schedule = (): Schedule => new Schedule(scheduleSchema.parse({ timeZone: 'UTC', windows: [{ start: '08:00', end: '18:00' }] }));

    it('ends an open event as schedule_inactive when the window closes, with the local time it judged by', () => {
      const h = harness({ schedule: schedule() });
      h.say(1, holds('k1'), holds('k1'), holds('k1'));
      expect(h.frame([person(1)])).toEqual(['#1 start matched']);
      h.clock.advance(60_000 - FRAME_MS); // the next frame is at 18:00:00
      expect(h.frame([person(1)])).toEqual(['#1 end schedule_inactive']);
      expect(h.last()[0]!.values).toMatchObject({ timeZone: 'UTC', localWeekday: 3, localMinute: 18 * 60 });
      expect(h.frame([person(1)])).toEqual([]);
    });

    it('outside the window a track is suppressed as schedule_inactive, once, even when its condition holds', () => {
      const h = harness({ schedule: schedule() });
      h.clock.advance(60_000);
      h.say(1, holds('k1'), QUIET);
      expect(h.frame([person(1)])).toEqual(['#1 suppress schedule_inactive']);
      expect(h.frame([person(1)])).toEqual([]);
    });
  });
});
