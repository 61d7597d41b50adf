import { describe, expect, it } from 'vitest';
import { policyCamera, PolicyScene, type ObjectSpec } from '../../../helpers/policyScene.js';

const zones = [
  {
    id: 'lobby',
    polygon: [
      [0.4, 0.4],
      [0.8, 0.4],
      [0.8, 0.8],
      [0.4, 0.8],
    ],
  },
];
const IN: ObjectSpec['at'] = [0.6, 0.6];
const OUT: ObjectSpec['at'] = [0.2, 0.6];
const EDGE_IN: ObjectSpec['at'] = [0.41, 0.6];
const EDGE_OUT: ObjectSpec['at'] = [0.39, 0.6];

type Frame = ObjectSpec['at'] | 'lost';
const cases: { name: string; inertia: number; path: Frame[]; expected: string[] }[] = [
  {
    name: 'enters and leaves (inertia 1)',
    inertia: 1,
    path: [OUT, IN, IN, OUT, OUT],
    expected: ['0: r#1 suppress outside_zone', '1: r#1 start matched', '3: r#1 end left_zone'],
  },
  {
    name: 'enters and leaves (inertia 2): each side must hold two frames',
    inertia: 2,
    path: [OUT, IN, IN, IN, OUT, IN, OUT, OUT],
    expected: ['0: r#1 suppress outside_zone', '2: r#1 start matched', '7: r#1 end left_zone'],
  },
  {
    name: 'jitter across the edge never enters with inertia 2',
    inertia: 2,
    path: [EDGE_OUT, EDGE_IN, EDGE_OUT, EDGE_IN, EDGE_OUT, EDGE_IN, EDGE_OUT],
    expected: ['0: r#1 suppress outside_zone'],
  },
  {
    name: 'the same jitter flaps with inertia 1',
    inertia: 1,
    path: [EDGE_OUT, EDGE_IN, EDGE_OUT, EDGE_IN],
    expected: ['0: r#1 suppress outside_zone', '1: r#1 start matched', '2: r#1 end left_zone', '3: r#1 start matched'],
  },
  {
    name: 'lost inside the zone ends the event',
    inertia: 1,
    path: [IN, IN, 'lost'],
    expected: ['0: r#1 start matched', '2: r#1 end track_lost'],
  },
];

describe('zone_intrusion', () => {
  it.each(cases)('$name', ({ inertia, path, expected }) => {
    const s = new PolicyScene(policyCamera({ zones, rules: [{ id: 'r', type: 'zone_intrusion', zone: 'lobby', labels: ['person'], inertia }] }));
    for (const at of path) {
      if (at === 'lost') s.step([], { lost: [1] });
      else s.step([{ id: 1, at }]);
    }
    expect(s.history()).toEqual(expected);
  });

  it('anchors on the bottom-centre: a tall box whose feet are outside is outside', () => {
    const s = new PolicyScene(policyCamera({ zones, rules: [{ id: 'r', type: 'zone_intrusion', zone: 'lobby', labels: ['person'], inertia: 1 }] }));
    // box from y 0.5 to 0.9: its middle is in the zone, its feet below it
    const [decision] = s.step([{ id: 1, at: [0.6, 0.9], size: [0.1, 0.4] }]);
    expect(decision).toMatchObject({ outcome: 'suppress', reason: 'outside_zone', values: { anchorY: 0.9 } });
  });

  it('judges where the tracker says the object stands: a box cut short by a passer-by in front does not leave', () => {
    const s = new PolicyScene(policyCamera({ zones, rules: [{ id: 'r', type: 'zone_intrusion', zone: 'lobby', labels: ['person'], inertia: 1 }] }));
    s.step([{ id: 1, at: IN }]);
    // the box's bottom is at y 0.35, above the zone; the tracker puts the feet at 0.6, in it
    s.step([{ id: 1, at: [0.6, 0.35], size: [0.05, 0.05], standsAt: IN }]);
    s.step([{ id: 1, at: IN }]);
    expect(s.history()).toEqual(['0: r#1 start matched']);
  });

  it('reports the zone on every alert of the event', () => {
    const s = new PolicyScene(policyCamera({ zones, rules: [{ id: 'r', type: 'zone_intrusion', zone: 'lobby', labels: ['person'], inertia: 1 }] }));
    s.step([{ id: 1, at: IN }]);
    s.step([{ id: 1, at: OUT }]);
    expect(s.log.map((entry) => entry.decision.event)).toEqual([{ zoneId: 'lobby' }, { zoneId: 'lobby' }]);
  });
});
