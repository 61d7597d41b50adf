import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../../pipelines/config/siteConfig.js';

function errorsFor(camera: Record<string, unknown>): string[] {
  const result = parseSiteConfig({
    version: 1,
    site: { id: 'site' },
    mqtt: { urls: ['mqtt://127.0.0.1:1883'] },
    cameras: [{ id: 'cam', source: { url: 'x' }, ...camera }],
  });
  return result.ok ? [] : result.errors;
}

const zones = [
  {
    id: 'plaza',
    polygon: [
      [0, 0],
      [1, 0],
      [1, 1],
    ],
  },
];
const lines = [
  { id: 'a', from: [0, 0.5], to: [1, 0.5] },
  { id: 'b', from: [0.5, 0], to: [0.5, 1] },
];

describe('camera cross-checks', () => {
  it('accepts every rule type with its references, and fills the defaults', () => {
    const result = parseSiteConfig({
      version: 1,
      site: { id: 'site' },
      mqtt: { urls: ['mqtt://127.0.0.1:1883'] },
      cameras: [
        {
          id: 'cam',
          source: { url: 'x' },
          zones,
          lines,
          privacyMasks: [
            {
              id: 'window',
              polygon: [
                [0, 0],
                [0.1, 0],
                [0.1, 0.1],
              ],
            },
          ],
          rules: [
            { id: 'p', type: 'object_present', labels: ['car'] },
            { id: 'z', type: 'zone_intrusion', labels: ['person'], zone: 'plaza' },
            { id: 'l', type: 'line_crossing', labels: ['person'], line: 'a', direction: 'in' },
            { id: 'w', type: 'loitering', labels: ['person'], zone: 'plaza', dwellSeconds: 30 },
            { id: 'c', type: 'crowding', labels: ['person'], zone: 'plaza', minCount: 5, minDurationSeconds: 10 },
          ],
        },
      ],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const camera = result.config.cameras[0]!;
    expect(camera.tracker).toEqual({
      highScore: 0.5,
      lowScore: 0.1,
      newTrackScore: 0.6,
      matchIou: 0.3,
      lowMatchIou: 0.5,
      minHits: 2,
      predict: true,
      historyLength: 30,
      lostSeconds: 3,
      relinkDistance: 1,
      relinkSizeRatio: 1.5,
    });
    // no labelGroups: the tracker takes the default vehicle group (trackerOptionsFor)
    expect(camera.tracker.labelGroups).toBeUndefined();
    expect(camera.rules[2]).toMatchObject({
      direction: 'in',
      minDisplacement: 0.02,
      minBoxArea: 0,
      maxBoxArea: 1,
      minTrackAge: 0,
      cooldownSeconds: 0,
      updateIntervalSeconds: 10,
    });
    expect(camera.rules[1]).toMatchObject({ inertia: 2 });
  });

  it('names an unknown line and the lines that exist', () => {
    expect(
      errorsFor({
        lines,
        rules: [
          { id: 'r0', type: 'object_present', labels: ['x'] },
          { id: 'r1', type: 'line_crossing', labels: ['person'], line: 'x' },
        ],
      }),
    ).toEqual(['cameras[0].rules[1].line: unknown line "x"; defined lines: a, b']);
  });

  it('names an unknown zone for every rule type that has one', () => {
    const rules = [
      { id: 'w', type: 'loitering', labels: ['person'], zone: 'gate', dwellSeconds: 5 },
      { id: 'c', type: 'crowding', labels: ['person'], zone: 'gate', minCount: 3, minDurationSeconds: 1 },
    ];
    expect(errorsFor({ zones, rules })).toEqual([
      'cameras[0].rules[0].zone: unknown zone "gate"; defined zones: plaza',
      'cameras[0].rules[1].zone: unknown zone "gate"; defined zones: plaza',
    ]);
    expect(errorsFor({ rules: [rules[0]] })).toEqual(['cameras[0].rules[0].zone: unknown zone "gate"; defined zones: (none)']);
  });

  it('rejects duplicate line and mask ids, a line of one point, inverted ranges', () => {
    const mask = {
      id: 'm',
      polygon: [
        [0, 0],
        [0.1, 0],
        [0.1, 0.1],
      ],
    };
    const errors = errorsFor({
      lines: [...lines, { id: 'a', from: [0.2, 0.2], to: [0.2, 0.2] }],
      privacyMasks: [mask, mask],
      tracker: { highScore: 0.4, lowScore: 0.6 },
      rules: [{ id: 'r', type: 'object_present', labels: ['person'], minBoxArea: 0.3, maxBoxArea: 0.2 }],
    });
    expect(errors).toEqual([
      'cameras[0].lines[2].id: duplicate line id "a"',
      'cameras[0].privacyMasks[1].id: duplicate privacy mask id "m"',
      'cameras[0].lines[2].to: a line needs two different points',
      'cameras[0].tracker.lowScore: must not exceed highScore (0.4); received 0.6',
      'cameras[0].rules[0].maxBoxArea: must not be below minBoxArea (0.3); received 0.2',
    ]);
  });

  it('rejects a label in two label groups or twice in one, and more than 16 groups', () => {
    const errors = errorsFor({ tracker: { labelGroups: { vehicle: ['car', 'truck', 'car'], big: ['bus', 'truck'], none: [] } } });
    expect(errors).toEqual([
      'cameras[0].tracker.labelGroups.none: Too small: expected array to have >=1 items (received an array of 0 items)',
      'cameras[0].tracker.labelGroups.vehicle[2]: label "car" is listed twice in group "vehicle"',
      'cameras[0].tracker.labelGroups.big[1]: label "truck" is already in group "vehicle"; a label may be in one group only',
    ]);
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`g${i}`, [`label${i}`]]));
    expect(errorsFor({ tracker: { labelGroups: many } })).toEqual(['cameras[0].tracker.labelGroups: at most 16 label groups']);
    expect(errorsFor({ tracker: { labelGroups: { Vehicle: ['car'] } } })[0]).toMatch(/^cameras\[0\]\.tracker\.labelGroups/);
  });

  it('rejects a rule field of another rule type, and a crowding rule without its count', () => {
    const errors = errorsFor({
      zones,
      rules: [
        { id: 'r', type: 'zone_intrusion', labels: ['person'], zone: 'plaza', dwellSeconds: 3 },
        { id: 'c', type: 'crowding', labels: ['person'], zone: 'plaza', minDurationSeconds: 1 },
      ],
    });
    expect(errors).toContain('cameras[0].rules[0]: unknown key(s) "dwellSeconds"');
    expect(errors).toContainEqual(expect.stringMatching(/^cameras\[0\]\.rules\[1\]\.minCount: .*\(received nothing\)$/));
  });

  it('names a bad schedule field with its path', () => {
    const errors = errorsFor({
      rules: [
        {
          id: 'r',
          type: 'object_present',
          labels: ['person'],
          schedule: { timeZone: 'Mexico/Nowhere', windows: [{ days: ['fri'], start: '22:00', end: '6:00' }] },
        },
      ],
    });
    expect(errors).toEqual([
      'cameras[0].rules[0].schedule.timeZone: unknown IANA time zone "Mexico/Nowhere" (e.g. America/Mexico_City)',
      'cameras[0].rules[0].schedule.windows[0].end: expected a time "HH:MM" from 00:00 to 24:00 (received "6:00")',
    ]);
  });
});
