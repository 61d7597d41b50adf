import { describe, expect, it } from 'vitest';
import type { Point } from '../../../../pipelines/types.js';
import { policyCamera, PolicyScene } from '../../../helpers/policyScene.js';

// A horizontal line across the middle, drawn left to right: `in` is downwards on screen.
const lines = [
  { id: 'kerb', from: [0.1, 0.5], to: [0.9, 0.5] },
  { id: 'short', from: [0.1, 0.5], to: [0.3, 0.5] },
];
const above = (y = 0.4): Point => [0.5, y];

type Frame = Point | 'lost';
const cases: { name: string; rule?: Record<string, unknown>; path: Frame[]; expected: string[] }[] = [
  {
    name: 'a crossing in the allowed direction starts the event once',
    rule: { direction: 'in' },
    path: [above(0.4), above(0.45), above(0.55), above(0.6), above(0.65)],
    expected: ['0: r#1 suppress not_crossed', '2: r#1 start matched'],
  },
  {
    name: 'a crossing in the wrong direction is suppressed, with its direction',
    rule: { direction: 'in' },
    path: [above(0.6), above(0.55), above(0.45), above(0.4)],
    expected: ['0: r#1 suppress not_crossed', '2: r#1 suppress wrong_direction'],
  },
  {
    name: 'jitter on the line (within minDisplacement) never crosses',
    path: [above(0.49), above(0.51), above(0.495), above(0.515), above(0.485), above(0.51), above(0.49)],
    expected: ['0: r#1 suppress not_crossed'],
  },
  {
    name: 'jitter after a real crossing does not count again',
    path: [above(0.4), above(0.6), above(0.51), above(0.49), above(0.515), above(0.485), above(0.6)],
    expected: ['0: r#1 suppress not_crossed', '1: r#1 start matched'],
  },
  {
    name: 'stepping over the jitter band counts, even if no frame lands on the line',
    path: [above(0.47), above(0.53)],
    expected: ['0: r#1 suppress not_crossed', '1: r#1 start matched'],
  },
  {
    name: 'back and forth with `both`: the first crossing starts, the second updates',
    rule: { direction: 'both', updateIntervalSeconds: 0 },
    path: [above(0.4), above(0.6), above(0.4), 'lost'],
    expected: ['0: r#1 suppress not_crossed', '1: r#1 start matched', '2: r#1 update line_crossed', '3: r#1 end track_lost'],
  },
  {
    name: 'passing beside the end of a short segment is no crossing',
    rule: { line: 'short' },
    path: [above(0.4), above(0.6), above(0.4)],
    expected: ['0: r#1 suppress not_crossed'],
  },
];

function scene(rule: Record<string, unknown> = {}): PolicyScene {
  return new PolicyScene(policyCamera({ lines, rules: [{ id: 'r', type: 'line_crossing', line: 'kerb', labels: ['person'], ...rule }] }));
}

describe('line_crossing', () => {
  it.each(cases)('$name', ({ rule, path, expected }) => {
    const s = scene(rule);
    for (const at of path) {
      if (at === 'lost') s.step([], { lost: [1] });
      else s.step([{ id: 1, at }]);
    }
    expect(s.history()).toEqual(expected);
  });

  it('says which way each crossing went', () => {
    const s = scene({ updateIntervalSeconds: 0 });
    s.step([{ id: 1, at: above(0.4) }]);
    const [start] = s.step([{ id: 1, at: above(0.6) }]);
    const [update] = s.step([{ id: 1, at: above(0.4) }]);
    expect(start!.event).toEqual({ line: { id: 'kerb', direction: 'in' } });
    expect(update!.event).toEqual({ line: { id: 'kerb', direction: 'out' } });
    expect(update!.values).toMatchObject({ crossings: 2, line: 'kerb' });
  });

  it('holds a second crossing back until the update interval has passed, then sends it', () => {
    const s = scene({ updateIntervalSeconds: 1 });
    s.step([{ id: 1, at: above(0.4) }]);
    s.step([{ id: 1, at: above(0.6) }]); // start at 0.2 s
    s.step([{ id: 1, at: above(0.4) }]); // crossed back at 0.4 s: too soon
    s.hold([{ id: 1, at: above(0.4) }], 4); // 0.6 .. 1.2 s
    expect(s.history()).toEqual(['0: r#1 suppress not_crossed', '1: r#1 start matched', '6: r#1 update line_crossed']);
  });

  it('judges the filters at the moment of crossing', () => {
    const s = scene({ minTrackAge: 1 });
    s.step([{ id: 1, at: above(0.4) }]);
    s.step([{ id: 1, at: above(0.6) }]); // 0.2 s old
    s.hold([{ id: 1, at: above(0.6) }], 10);
    expect(s.history()).toEqual(['0: r#1 suppress track_too_young']);
  });
});
