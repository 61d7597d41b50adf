import { describe, expect, it } from 'vitest';
import { DECISION_REASONS } from '../../../pipelines/types.js';
import { brief, policyCamera, PolicyScene, type ObjectSpec } from '../../helpers/policyScene.js';

const gate = {
  id: 'gate',
  polygon: [
    [0.5, 0.5],
    [1, 0.5],
    [1, 1],
    [0.5, 1],
  ],
};

function scene(rules: Record<string, unknown>[], extra: Record<string, unknown> = {}): PolicyScene {
  return new PolicyScene(policyCamera({ zones: [gate], rules, ...extra }));
}

const anyone = { id: 'anyone', type: 'object_present', labels: ['person'], severity: 'low' };
const intrusion = { id: 'gate-intrusion', type: 'zone_intrusion', labels: ['person'], zone: 'gate', inertia: 1, severity: 'high' };
const inGate = (id: number, more: Partial<ObjectSpec> = {}): ObjectSpec => ({ id, at: [0.7, 0.8], ...more });
const outside = (id: number, more: Partial<ObjectSpec> = {}): ObjectSpec => ({ id, at: [0.2, 0.4], ...more });

describe('RulePolicy', () => {
  it('starts one event per (rule, track) and stays quiet while it lasts', () => {
    const s = scene([anyone, intrusion]);
    expect(s.step([inGate(1)]).map(brief)).toEqual(['anyone#1 start matched', 'gate-intrusion#1 start matched']);
    expect(s.hold([inGate(1)], 50)).toEqual([]);
  });

  it('suppresses a track outside the zone once, with the anchor that decided it', () => {
    const s = scene([intrusion]);
    const [decision] = s.step([outside(2)]);
    expect(decision).toMatchObject({ outcome: 'suppress', reason: 'outside_zone', trackId: 2 });
    expect(decision!.values).toMatchObject({ anchorX: 0.2, anchorY: 0.4, zone: 'gate' });
    expect(s.hold([outside(2)], 20)).toEqual([]);
  });

  it('judges the median of recent scores, not one frame', () => {
    const s = scene([anyone]);
    s.step([outside(3, { score: 0.2 })]);
    s.step([outside(3, { score: 0.3 })]);
    // one good frame does not lift the median of 0.2, 0.3, 0.95; a second one does (0.55)
    expect(s.step([outside(3, { score: 0.95 })])).toEqual([]);
    expect(s.step([outside(3, { score: 0.8 })]).map(brief)).toEqual(['anyone#3 start matched']);
    expect(s.history()).toEqual(['0: anyone#3 suppress below_min_score', '3: anyone#3 start matched']);
  });

  it('ends the event when the track leaves the zone, and starts a new one when it returns', () => {
    const s = scene([intrusion]);
    s.step([inGate(4)]);
    expect(s.step([outside(4)]).map(brief)).toEqual(['gate-intrusion#4 end left_zone']);
    expect(s.step([inGate(4)]).map(brief)).toEqual(['gate-intrusion#4 start matched']);
  });

  it('ends open events when the track is lost, and only those', () => {
    const s = scene([anyone, intrusion]);
    s.step([inGate(5), outside(6)]);
    expect(s.step([], { lost: [5, 6] }).map(brief)).toEqual(['anyone#5 end track_lost', 'anyone#6 end track_lost', 'gate-intrusion#5 end track_lost']);
  });

  it('keeps an open event through a score dip and a coasting frame', () => {
    const s = scene([intrusion]);
    s.step([inGate(9)]);
    expect(s.step([inGate(9, { score: 0.1 })])).toEqual([]);
    expect(s.step([inGate(9, { score: 0.1 })])).toEqual([]);
    expect(s.step([outside(9, { coasting: true })])).toEqual([]);
    expect(s.step([inGate(9)])).toEqual([]);
  });

  it('ignores labels the rule does not select and never starts on a coasting track', () => {
    const s = scene([anyone]);
    expect(s.step([inGate(7, { label: 'dog' })])).toEqual([]);
    expect(s.step([inGate(8, { coasting: true })])).toEqual([]);
  });

  it('uses only reason codes from the closed enum', () => {
    const s = scene([anyone, intrusion]);
    s.step([inGate(1), outside(2, { score: 0.1 })]);
    s.step([outside(1)], { lost: [2] });
    expect(s.log.length).toBeGreaterThan(0);
    for (const { decision } of s.log) expect(DECISION_REASONS).toContain(decision.reason);
  });
});

describe('filters on every rule', () => {
  type Case = {
    name: string;
    rule: Record<string, unknown>;
    frames: ObjectSpec[][];
    expected: string[];
    frameMs?: number;
  };
  const cases: Case[] = [
    {
      name: 'minTrackAge: a young track waits until it is old enough',
      rule: { minTrackAge: 0.5 },
      frames: [[inGate(1)], [inGate(1)], [inGate(1)], [inGate(1)]],
      expected: ['0: r#1 suppress track_too_young', '3: r#1 start matched'],
    },
    {
      name: 'minBoxArea: a box of 0.05 x 0.15 is too small for 0.01',
      rule: { minBoxArea: 0.01 },
      frames: [[inGate(1)], [inGate(1, { size: [0.1, 0.2] })]],
      expected: ['0: r#1 suppress box_too_small', '1: r#1 start matched'],
    },
    {
      name: 'maxBoxArea: a box filling half the frame is too large for 0.25',
      rule: { maxBoxArea: 0.25 },
      frames: [[inGate(1, { size: [0.7, 0.7] })], [inGate(1)]],
      expected: ['0: r#1 suppress box_too_large', '1: r#1 start matched'],
    },
    {
      name: 'privacy mask: an anchor in a mask never alerts',
      rule: {},
      frames: [[{ id: 1, at: [0.1, 0.9] }], [{ id: 1, at: [0.15, 0.9] }], [{ id: 1, at: [0.6, 0.9] }], [{ id: 1, at: [0.1, 0.95] }]],
      expected: ['0: r#1 suppress privacy_mask', '2: r#1 start matched', '3: r#1 end privacy_mask'],
    },
  ];
  it.each(cases)('$name', ({ rule, frames, expected, frameMs }) => {
    const masks = [
      {
        id: 'window',
        polygon: [
          [0, 0.8],
          [0.3, 0.8],
          [0.3, 1],
          [0, 1],
        ],
      },
    ];
    const s = new PolicyScene(policyCamera({ privacyMasks: masks, rules: [{ id: 'r', type: 'object_present', labels: ['person'], ...rule }] }), { frameMs });
    for (const objects of frames) s.step(objects);
    expect(s.history()).toEqual(expected);
  });

  it('cooldown: after an event ends, the same object cannot start another for cooldownSeconds', () => {
    const s = scene([{ ...intrusion, cooldownSeconds: 1 }]);
    s.step([inGate(1)]); // t = 0: start
    s.step([outside(1)]); // 0.2 s: end
    s.step([inGate(1)]); // 0.4 s: within cooldown
    s.hold([inGate(1)], 3); // 0.6, 0.8, 1.0 s
    s.step([inGate(1)]); // 1.2 s: cooldown over
    expect(s.history()).toEqual([
      '0: gate-intrusion#1 start matched',
      '1: gate-intrusion#1 end left_zone',
      '2: gate-intrusion#1 suppress cooldown',
      '6: gate-intrusion#1 start matched',
    ]);
    const cooldown = s.log[2]!.decision;
    expect(cooldown.values['cooldownRemainingSeconds']).toBeCloseTo(0.8, 9);
    // another object is not held back by the first one's cooldown
    expect(s.step([inGate(1), inGate(2)]).map(brief)).toEqual(['gate-intrusion#2 start matched']);
  });

  it('schedule: a rule outside its window suppresses, and an open event ends when the window closes', () => {
    // 2026-01-14 is a Wednesday; 17:59:59 in Mexico City is 23:59:59 UTC
    const start = Date.UTC(2026, 0, 14, 23, 59, 58);
    const camera = policyCamera({
      zones: [gate],
      rules: [{ ...anyone, schedule: { windows: [{ days: ['wed'], start: '18:00', end: '18:01' }] } }],
    });
    const s = new PolicyScene(camera, { start, frameMs: 1000 });
    s.step([inGate(1)]); // 17:59:58
    s.step([inGate(1)]); // 17:59:59
    s.step([inGate(1)]); // 18:00:00 armed
    s.step([inGate(1)], { advanceMs: 60_000 }); // 18:01:00 disarmed
    expect(s.history()).toEqual(['0: anyone#1 suppress schedule_inactive', '2: anyone#1 start matched', '3: anyone#1 end schedule_inactive']);
    expect(s.log[0]!.decision.values).toMatchObject({ timeZone: 'America/Mexico_City', localWeekday: 3, localMinute: 17 * 60 + 59 });
  });

  it("a camera's schedule applies to its rules unless a rule has its own", () => {
    const camera = policyCamera({
      zones: [gate],
      schedule: { timeZone: 'UTC', windows: [{ start: '00:00', end: '01:00' }] },
      rules: [anyone, { ...intrusion, schedule: { timeZone: 'UTC', windows: [{ start: '00:00', end: '24:00' }] } }],
    });
    const s = new PolicyScene(camera, { start: Date.UTC(2026, 0, 14, 12, 0, 0) });
    expect(s.step([inGate(1)]).map(brief)).toEqual(['anyone#1 suppress schedule_inactive', 'gate-intrusion#1 start matched']);
  });
});

describe('replacing the policy', () => {
  it('close() ends every open event, per track and per zone, and nothing else', () => {
    const s = scene([anyone, intrusion, { id: 'crowd', type: 'crowding', zone: 'gate', labels: ['person'], minCount: 2, minDurationSeconds: 0 }]);
    s.step([inGate(1), inGate(2), outside(3)]);
    const closed = s.policy.close(s.now + 50);
    expect(closed.map(brief).sort()).toEqual([
      'anyone#1 end policy_replaced',
      'anyone#2 end policy_replaced',
      'anyone#3 end policy_replaced',
      'crowd#- end policy_replaced',
      'gate-intrusion#1 end policy_replaced',
      'gate-intrusion#2 end policy_replaced',
    ]);
    expect(closed.find((d) => d.ruleId === 'crowd')!.event).toEqual({ zoneId: 'gate', count: 2 });
    expect(s.policy.close(s.now + 100)).toEqual([]);
  });

  it('carries unchanged rules over with their open events; ends and restarts only the changed and removed ones', () => {
    const crowd = { id: 'crowd', type: 'crowding', zone: 'gate', labels: ['person'], minCount: 2, minDurationSeconds: 0 };
    const s = scene([anyone, intrusion, crowd]);
    s.step([inGate(1), inGate(2)]);
    // the intrusion rule's severity changes, the crowding rule goes, object_present stays as it was
    const closed = s.replace(policyCamera({ zones: [gate], rules: [anyone, { ...intrusion, severity: 'critical' }] }));
    expect(closed.map(brief).sort()).toEqual(['crowd#- end policy_replaced', 'gate-intrusion#1 end policy_replaced', 'gate-intrusion#2 end policy_replaced']);
    // the next frame: the changed rule starts afresh, the unchanged one says nothing (its events never ended)
    expect(s.step([inGate(1), inGate(2)]).map(brief)).toEqual(['gate-intrusion#1 start matched', 'gate-intrusion#2 start matched']);
    expect(s.step([], { lost: [1, 2] }).map(brief)).toEqual([
      'anyone#1 end track_lost',
      'anyone#2 end track_lost',
      'gate-intrusion#1 end track_lost',
      'gate-intrusion#2 end track_lost',
    ]);
  });

  it('treats a rule as changed when the zone it watches moves, though its own config did not', () => {
    const s = scene([anyone, intrusion]);
    s.step([inGate(1)]);
    const wider = {
      id: 'gate',
      polygon: [
        [0.4, 0.4],
        [1, 0.4],
        [1, 1],
        [0.4, 1],
      ],
    };
    expect(s.replace(policyCamera({ zones: [wider], rules: [anyone, intrusion] })).map(brief)).toEqual(['gate-intrusion#1 end policy_replaced']);
    expect(s.step([inGate(1)]).map(brief)).toEqual(['gate-intrusion#1 start matched']);
  });
});
