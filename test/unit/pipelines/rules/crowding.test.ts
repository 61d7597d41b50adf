import { describe, expect, it } from 'vitest';
import type { Point } from '../../../../pipelines/types.js';
import { brief, policyCamera, PolicyScene, type ObjectSpec } from '../../../helpers/policyScene.js';

const zones = [
  {
    id: 'plaza',
    polygon: [
      [0.2, 0.2],
      [0.8, 0.2],
      [0.8, 0.8],
      [0.2, 0.8],
    ],
  },
];
const spot = (i: number): Point => [0.3 + 0.05 * i, 0.5];
const people = (n: number, first = 1): ObjectSpec[] => Array.from({ length: n }, (_, i) => ({ id: first + i, at: spot(i) }));

function scene(rule: Record<string, unknown> = {}): PolicyScene {
  return new PolicyScene(
    policyCamera({
      zones,
      rules: [{ id: 'crowd', type: 'crowding', zone: 'plaza', labels: ['person'], minCount: 3, minDurationSeconds: 1, updateIntervalSeconds: 0, ...rule }],
    }),
    { frameMs: 200 },
  );
}

describe('crowding', () => {
  it('forms, grows and disperses: one event with the count, not one per person', () => {
    const s = scene();
    s.step(people(1)); // 0
    s.step(people(2)); // 1
    s.hold(people(3), 5); // 2..6: 3 people from 0.4 s; 1 s held at frame 7
    s.step(people(3)); // 7: start
    s.hold(people(4), 2); // 8, 9: update to 4
    s.hold(people(2), 2); // 10, 11: below for 2 frames (inertia 2): end
    expect(s.history()).toEqual([
      '0: crowd#- suppress crowd_too_small',
      '2: crowd#- suppress crowd_too_short',
      '7: crowd#- start matched',
      '8: crowd#- update crowd_count_changed',
      '11: crowd#- end crowd_dispersed',
    ]);
    const counts = s.log.filter((e) => e.decision.outcome === 'alert').map((e) => e.decision.event);
    expect(counts).toEqual([
      { zoneId: 'plaza', count: 3 },
      { zoneId: 'plaza', count: 4 },
      { zoneId: 'plaza', count: 2 },
    ]);
    expect(s.log[2]!.decision.values).toMatchObject({ count: 3, minCount: 3, heldSeconds: 1, trackIds: '1,2,3' });
  });

  it.each([
    {
      name: 'a crowd that lasts just under the duration is never reported',
      frames: [people(3), people(3), people(3), people(3), people(3), people(1), people(1)],
      expected: ['0: crowd#- suppress crowd_too_short', '6: crowd#- suppress crowd_too_small'],
    },
    {
      name: 'one frame below the count (a missed person) does not end or restart it',
      frames: [...Array(6).fill(people(3)), people(2), people(3), people(3)],
      expected: ['0: crowd#- suppress crowd_too_short', '5: crowd#- start matched'],
    },
    {
      name: 'people outside the zone, of other labels, or unsure do not count',
      frames: Array(8).fill([...people(2), { id: 10, at: [0.9, 0.9] }, { id: 11, at: spot(3), label: 'dog' }, { id: 12, at: spot(4), score: 0.2 }]),
      expected: ['0: crowd#- suppress crowd_too_small'],
    },
    {
      name: 'a coasting member still counts',
      frames: [...Array(6).fill(people(3)), [...people(2), { id: 3, at: spot(2), coasting: true }]],
      expected: ['0: crowd#- suppress crowd_too_short', '5: crowd#- start matched'],
    },
  ])('$name', ({ frames, expected }) => {
    const s = scene();
    for (const objects of frames) s.step(objects as ObjectSpec[]);
    expect(s.history()).toEqual(expected);
  });

  it('rate-limits count updates to the update interval', () => {
    const s = scene({ updateIntervalSeconds: 1 });
    s.hold(people(3), 6); // start at frame 5 (1.0 s)
    s.step(people(4)); // 6: changed, too soon
    s.step(people(5)); // 7: changed again, still too soon
    s.hold(people(5), 3); // 8..10: 2.0 s at frame 10
    expect(s.history()).toEqual(['0: crowd#- suppress crowd_too_short', '5: crowd#- start matched', '10: crowd#- update crowd_count_changed']);
    expect(s.log.at(-1)!.decision.event).toEqual({ zoneId: 'plaza', count: 5 });
  });

  it('cools down per zone after an event ends', () => {
    const s = scene({ minDurationSeconds: 0, cooldownSeconds: 5 });
    s.step(people(3));
    s.hold(people(0), 2);
    s.hold(people(3), 2);
    expect(s.history().map((line) => line.replace(/^\d+: /, ''))).toEqual([
      'crowd#- start matched',
      'crowd#- end crowd_dispersed',
      'crowd#- suppress cooldown',
    ]);
    expect(s.log.every((e) => e.decision.trackId === null)).toBe(true);
    expect(brief(s.log[0]!.decision)).toBe('crowd#- start matched');
  });
});
