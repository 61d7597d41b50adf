import { describe, expect, it } from 'vitest';
import type { Point } from '../../../../pipelines/types.js';
import { policyCamera, PolicyScene } from '../../../helpers/policyScene.js';

const zones = [
  {
    id: 'atm',
    polygon: [
      [0.4, 0.4],
      [0.8, 0.4],
      [0.8, 0.8],
      [0.4, 0.8],
    ],
  },
];
const IN: Point = [0.6, 0.6];
const OUT: Point = [0.2, 0.6];

function scene(rule: Record<string, unknown> = {}): PolicyScene {
  // 5 frames a second; dwell threshold 3 s
  return new PolicyScene(
    policyCamera({ zones, rules: [{ id: 'r', type: 'loitering', zone: 'atm', labels: ['person'], dwellSeconds: 3, inertia: 1, ...rule }] }),
    { frameMs: 200 },
  );
}

/** `inside` frames in the zone (the first one at dwell 0), then out. */
function dwell(s: PolicyScene, inside: number): void {
  s.step([{ id: 1, at: OUT }]);
  for (let i = 0; i < inside; i++) s.step([{ id: 1, at: IN }]);
  s.step([{ id: 1, at: OUT }]);
}

describe('loitering', () => {
  it.each([
    {
      name: 'dwell just under T (2.8 s) never alerts',
      inside: 15,
      expected: ['0: r#1 suppress outside_zone', '1: r#1 suppress dwell_too_short', '16: r#1 suppress outside_zone'],
    },
    {
      name: 'dwell of exactly T (3.0 s) alerts on the frame it is reached',
      inside: 16,
      expected: ['0: r#1 suppress outside_zone', '1: r#1 suppress dwell_too_short', '16: r#1 start matched', '17: r#1 end left_zone'],
    },
    {
      name: 'dwell just over T (3.2 s) alerts once and ends on leaving',
      inside: 17,
      expected: ['0: r#1 suppress outside_zone', '1: r#1 suppress dwell_too_short', '16: r#1 start matched', '18: r#1 end left_zone'],
    },
  ])('$name', ({ inside, expected }) => {
    const s = scene();
    dwell(s, inside);
    expect(s.history()).toEqual(expected);
  });

  it('reports the dwell on start and end, and updates when it passes another multiple of T', () => {
    const s = scene({ updateIntervalSeconds: 1 });
    dwell(s, 36); // 0 .. 7.0 s inside
    const alerts = s.log.filter((e) => e.decision.outcome === 'alert').map((e) => [e.decision.state, e.decision.reason, e.decision.event?.dwellSeconds]);
    expect(alerts).toEqual([
      ['start', 'matched', 3],
      ['update', 'dwell_threshold_passed', 6],
      ['end', 'left_zone', 7],
    ]);
  });

  it('counts dwell from the first frame of the entry, even when inertia delays believing it', () => {
    const s = scene({ inertia: 3 });
    s.step([{ id: 1, at: OUT }]);
    s.hold([{ id: 1, at: IN }], 16); // entry at frame 1; membership believed at frame 3
    expect(s.history()).toEqual(['0: r#1 suppress outside_zone', '3: r#1 suppress dwell_too_short', '16: r#1 start matched']);
  });

  it('a short step outside (under inertia) does not reset the dwell', () => {
    const s = scene({ inertia: 2 });
    s.step([{ id: 1, at: OUT }]);
    s.hold([{ id: 1, at: IN }], 8);
    s.step([{ id: 1, at: OUT }]);
    s.hold([{ id: 1, at: IN }], 7); // frames 10..16: dwell from frame 1 reaches 3 s at frame 16
    expect(s.history().at(-1)).toBe('16: r#1 start matched');
  });
});
