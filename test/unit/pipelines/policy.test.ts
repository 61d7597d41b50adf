import { describe, expect, it } from 'vitest';
import type { CameraConfig } from '../../../pipelines/config/siteConfig.js';
import { RulePolicy } from '../../../pipelines/policy.js';
import type { Box, Track } from '../../../pipelines/types.js';

const camera: Pick<CameraConfig, 'rules' | 'zones'> = {
  zones: [
    {
      id: 'gate',
      polygon: [
        [0.5, 0.5],
        [1, 0.5],
        [1, 1],
        [0.5, 1],
      ],
    },
  ],
  rules: [
    { id: 'anyone', type: 'object_present', labels: ['person'], minScore: 0.5, severity: 'low' },
    { id: 'gate-intrusion', type: 'zone_intrusion', labels: ['person'], minScore: 0.5, severity: 'high', zone: 'gate' },
  ],
};

function track(id: number, box: Box, scores: number[] = [0.9], extra: Partial<Track> = {}): Track {
  return {
    id,
    label: 'person',
    classId: 0,
    box,
    score: scores.at(-1)!,
    scores,
    firstSeen: 0,
    lastSeen: 0,
    anchors: [],
    misses: 0,
    ...extra,
  };
}

const inGate: Box = [0.6, 0.6, 0.7, 0.9];
const outside: Box = [0.1, 0.1, 0.2, 0.4];

describe('RulePolicy', () => {
  it('starts one event per (rule, track) and stays quiet while it lasts', () => {
    const policy = new RulePolicy(camera);
    const first = policy.evaluate({ active: [track(1, inGate)], ended: [], now: 0 });
    expect(first.map((d) => [d.ruleId, d.outcome, d.state, d.reason])).toEqual([
      ['anyone', 'alert', 'start', 'matched'],
      ['gate-intrusion', 'alert', 'start', 'matched'],
    ]);
    for (let now = 1; now < 50; now++) {
      expect(policy.evaluate({ active: [track(1, inGate)], ended: [], now })).toEqual([]);
    }
  });

  it('suppresses a track outside the zone once, with the anchor that decided it', () => {
    const policy = new RulePolicy(camera);
    const decisions = policy.evaluate({ active: [track(2, outside)], ended: [], now: 0 });
    const gate = decisions.find((d) => d.ruleId === 'gate-intrusion')!;
    expect(gate).toMatchObject({ outcome: 'suppress', reason: 'outside_zone', trackId: 2 });
    expect(gate.values).toMatchObject({ anchorX: 0.15000000000000002, anchorY: 0.4, zone: 'gate' });
    const again = policy.evaluate({ active: [track(2, outside)], ended: [], now: 1 });
    expect(again.filter((d) => d.ruleId === 'gate-intrusion')).toEqual([]);
  });

  it('judges the median of recent scores, not one frame', () => {
    const policy = new RulePolicy(camera);
    const flicker = policy.evaluate({ active: [track(3, outside, [0.2, 0.3, 0.95])], ended: [], now: 0 });
    expect(flicker.find((d) => d.ruleId === 'anyone')).toMatchObject({ outcome: 'suppress', reason: 'below_min_score' });
    const steady = policy.evaluate({ active: [track(3, outside, [0.2, 0.8, 0.95])], ended: [], now: 1 });
    expect(steady.find((d) => d.ruleId === 'anyone')).toMatchObject({ outcome: 'alert', state: 'start' });
  });

  it('ends the event when the track leaves the zone, and starts a new one when it returns', () => {
    const policy = new RulePolicy(camera);
    policy.evaluate({ active: [track(4, inGate)], ended: [], now: 0 });
    const left = policy.evaluate({ active: [track(4, outside)], ended: [], now: 1 });
    expect(left).toEqual([expect.objectContaining({ ruleId: 'gate-intrusion', outcome: 'alert', state: 'end', reason: 'left_zone' })]);
    const back = policy.evaluate({ active: [track(4, inGate)], ended: [], now: 2 });
    expect(back).toEqual([expect.objectContaining({ ruleId: 'gate-intrusion', state: 'start' })]);
  });

  it('ends open events when the track is lost, and only those', () => {
    const policy = new RulePolicy(camera);
    policy.evaluate({ active: [track(5, inGate), track(6, outside)], ended: [], now: 0 });
    const lost = policy.evaluate({ active: [], ended: [track(5, inGate), track(6, outside)], now: 1 });
    expect(lost.map((d) => [d.ruleId, d.trackId, d.state, d.reason])).toEqual([
      ['anyone', 5, 'end', 'track_lost'],
      ['anyone', 6, 'end', 'track_lost'],
      ['gate-intrusion', 5, 'end', 'track_lost'],
    ]);
  });

  it('keeps an open event through a score dip', () => {
    const policy = new RulePolicy(camera);
    policy.evaluate({ active: [track(9, inGate, [0.9])], ended: [], now: 0 });
    expect(policy.evaluate({ active: [track(9, inGate, [0.9, 0.1, 0.1])], ended: [], now: 1 })).toEqual([]);
    expect(policy.evaluate({ active: [track(9, inGate, [0.9, 0.8, 0.9])], ended: [], now: 2 })).toEqual([]);
  });

  it('ignores labels the rule does not select and never starts on a coasting track', () => {
    const policy = new RulePolicy(camera);
    const dog = { ...track(7, inGate), label: 'dog', classId: 16 };
    expect(policy.evaluate({ active: [dog], ended: [], now: 0 })).toEqual([]);
    expect(policy.evaluate({ active: [track(8, inGate, [0.9], { misses: 2 })], ended: [], now: 0 })).toEqual([]);
  });
});
