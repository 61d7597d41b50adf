import { describe, expect, it } from 'vitest';
import { EventLifecycle, type LifecycleOptions } from '../../../../pipelines/rules/EventLifecycle.js';
import type { Decision } from '../../../../pipelines/types.js';

const T0 = 1_700_000_000_000;

function lifecycle(options: Partial<LifecycleOptions> = {}): EventLifecycle {
  return new EventLifecycle({ ruleId: 'r', trackId: 7, updateIntervalMs: 10_000, cooldownMs: 0, ...options });
}

/** `state reason` of an alert, `suppress reason` of a suppression, `-` for nothing. */
function brief(decision: Decision | undefined): string {
  if (!decision) return '-';
  return decision.outcome === 'alert' ? `${decision.state} ${decision.reason}` : `suppress ${decision.reason}`;
}

describe('EventLifecycle', () => {
  it('start opens the event with a matched alert carrying the values and event facts', () => {
    const life = lifecycle();
    expect(life.open).toBe(false);
    const decision = life.start(T0, { score: 0.8 }, { zoneId: 'gate' }, 'inside');
    expect(decision).toEqual({
      ruleId: 'r',
      trackId: 7,
      outcome: 'alert',
      state: 'start',
      reason: 'matched',
      values: { score: 0.8 },
      event: { zoneId: 'gate' },
    });
    expect(life.open).toBe(true);
  });

  // update interval 10 s, opened at T0 with key k0
  it.each([
    { name: 'same key after the interval: nothing to say', at: 20_000, key: 'k0', expected: '-' },
    { name: 'new key inside the interval: not yet', at: 9_999, key: 'k1', expected: '-' },
    { name: 'new key exactly at the interval: update', at: 10_000, key: 'k1', expected: 'update line_crossed' },
    { name: 'new key well after the interval: update', at: 60_000, key: 'k1', expected: 'update line_crossed' },
  ])('update: $name', ({ at, key, expected }) => {
    const life = lifecycle();
    life.start(T0, {}, {}, 'k0');
    expect(brief(life.update(T0 + at, 'line_crossed', {}, {}, key))).toBe(expected);
  });

  it('measures the update interval from the last alert sent, and compares keys with the last one sent', () => {
    const life = lifecycle({ updateIntervalMs: 1_000 });
    life.start(T0, {}, {}, 'k0');
    const sent = [
      life.update(T0 + 1_000, 'dwell_threshold_passed', {}, { dwellSeconds: 1 }, 'k1'), // 1 s after start: sent
      life.update(T0 + 1_500, 'dwell_threshold_passed', {}, {}, 'k2'), // 0.5 s after that update: held
      life.update(T0 + 2_000, 'dwell_threshold_passed', {}, {}, 'k1'), // key as sent last: nothing new
      life.update(T0 + 2_000, 'dwell_threshold_passed', {}, {}, 'k2'), // 1 s after the update, new key: sent
    ].map(brief);
    expect(sent).toEqual(['update dwell_threshold_passed', '-', '-', 'update dwell_threshold_passed']);
  });

  it('update and end say nothing while no event is open', () => {
    const life = lifecycle();
    expect(life.update(T0 + 60_000, 'line_crossed', {}, {}, 'k1')).toBeUndefined();
    expect(life.end(T0, 'track_lost', {}, {})).toBeUndefined();
  });

  it('end closes the event once; a second end says nothing', () => {
    const life = lifecycle();
    life.start(T0, {}, {}, 'k');
    expect(life.end(T0 + 5_000, 'left_zone', { zone: 'gate' }, { zoneId: 'gate' })).toEqual({
      ruleId: 'r',
      trackId: 7,
      outcome: 'alert',
      state: 'end',
      reason: 'left_zone',
      values: { zone: 'gate' },
      event: { zoneId: 'gate' },
    });
    expect(life.open).toBe(false);
    expect(life.end(T0 + 6_000, 'track_lost', {}, {})).toBeUndefined();
  });

  it('reports a suppression only when its reason changes, and none while the event is open', () => {
    const life = lifecycle();
    const reasons = [
      life.suppress('below_min_score', { score: 0.3 }),
      life.suppress('below_min_score', { score: 0.2 }),
      life.suppress('track_too_young', {}),
      life.suppress('below_min_score', {}),
    ].map(brief);
    expect(reasons).toEqual(['suppress below_min_score', '-', 'suppress track_too_young', 'suppress below_min_score']);
    life.start(T0, {}, {}, 'k');
    expect(life.suppress('privacy_mask', {})).toBeUndefined();
  });

  it('the quiet reason given to end is not reported again as a suppression; another reason is', () => {
    const life = lifecycle();
    life.start(T0, {}, {}, 'inside');
    life.end(T0 + 1_000, 'left_zone', {}, {}, 'outside_zone');
    expect(life.suppress('outside_zone', {})).toBeUndefined();
    expect(brief(life.suppress('below_min_score', {}))).toBe('suppress below_min_score');
  });

  it('without a quiet reason, the end reason itself is the state the pair is in', () => {
    const life = lifecycle();
    life.start(T0, {}, {}, 'k');
    life.end(T0 + 1_000, 'schedule_inactive', {}, {});
    expect(life.suppress('schedule_inactive', {})).toBeUndefined();
  });

  describe('cooldown of 30 s after an end at T0 + 10 s', () => {
    const endedAt = T0 + 10_000;
    function ended(): EventLifecycle {
      const life = lifecycle({ cooldownMs: 30_000 });
      life.start(T0, {}, {}, 'k');
      life.end(endedAt, 'track_lost', {}, {});
      return life;
    }

    // remaining = (30 000 - elapsed) / 1000, by hand
    it.each([
      { elapsed: 0, remaining: 30 },
      { elapsed: 12_500, remaining: 17.5 },
      { elapsed: 29_999, remaining: 0.001 },
    ])('a start $elapsed ms after the end is suppressed as cooldown with $remaining s left', ({ elapsed, remaining }) => {
      const life = ended();
      const decision = life.start(endedAt + elapsed, { score: 0.9 }, {}, 'k');
      expect(decision).toEqual({
        ruleId: 'r',
        trackId: 7,
        outcome: 'suppress',
        reason: 'cooldown',
        values: { score: 0.9, cooldownSeconds: 30, cooldownRemainingSeconds: expect.closeTo(remaining, 9) },
      });
      expect(life.open).toBe(false);
    });

    it('reports the cooldown once, and starts again exactly when it has passed', () => {
      const life = ended();
      expect(brief(life.start(endedAt + 1_000, {}, {}, 'k'))).toBe('suppress cooldown');
      expect(life.start(endedAt + 2_000, {}, {}, 'k')).toBeUndefined();
      expect(brief(life.start(endedAt + 30_000, {}, {}, 'k'))).toBe('start matched');
      expect(life.open).toBe(true);
    });
  });

  it('a zone event (crowding) carries a null track id', () => {
    const life = lifecycle({ trackId: null });
    expect(life.start(T0, {}, { count: 5 }, '5')).toMatchObject({ trackId: null, state: 'start', event: { count: 5 } });
  });
});
