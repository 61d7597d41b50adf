import { describe, expect, it } from 'vitest';
import { fleetLayerSchema, fleetSiteFileSchema } from '../../../../pipelines/fleet/fleetRepoSchema.js';
import { deepMerge, renderSiteDocument, type NamedLayer } from '../../../../pipelines/fleet/renderSiteDocument.js';

const layer = (file: string, input: unknown): NamedLayer => ({ file, layer: fleetLayerSchema.parse(input) });
const siteFile = (input: unknown) => fleetSiteFileSchema.parse(input);

describe('deepMerge', () => {
  it('merges objects key by key, replaces arrays and scalars, and deletes on null', () => {
    const base = { a: { b: 1, c: [1, 2], d: 'x' }, e: 5 };
    const over = { a: { c: [3], d: null, f: true }, e: 6 };
    expect(deepMerge(base, over)).toEqual({ a: { b: 1, c: [3], f: true }, e: 6 });
  });

  it('never mutates its inputs', () => {
    const base = { a: { b: [1] } };
    const merged = deepMerge(base, { a: { c: 2 } }) as { a: { b: number[] } };
    merged.a.b.push(9);
    expect(base).toEqual({ a: { b: [1] } });
  });

  it('refuses __proto__ and leaves Object.prototype alone', () => {
    const problems: { path: string; message: string }[] = [];
    const over = JSON.parse('{"a": {"__proto__": {"polluted": true}}}') as unknown;
    const merged = deepMerge({ a: {} }, over, problems) as { a: object };
    expect(problems).toEqual([{ path: 'a.__proto__', message: 'key "__proto__" is not allowed' }]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(merged.a)).toEqual([]);
  });
});

describe('renderSiteDocument', () => {
  const fleet = layer('fleet.yaml', {
    defaults: { mqtt: { urls: ['mqtt://a:1883'], prefix: 'c5' }, fleet: { probationSeconds: 30 } },
    cameraDefaults: { model: 'yolox-nano', analyticsFps: 5 },
    ruleTemplates: { people: { type: 'zone_intrusion', labels: ['person'], severity: 'low' } },
    schedules: { night: { windows: [{ start: '22:00', end: '06:00' }] } },
  });
  const group = layer('groups/north.yaml', {
    defaults: { mqtt: { urls: ['mqtt://north:1883'] } },
    ruleTemplates: { people: { type: 'zone_intrusion', labels: ['person'], severity: 'high' } },
  });

  it('applies fleet, then groups in order, then the site; templates and schedules by name', () => {
    const site = siteFile({
      site: { id: 's1' },
      groups: ['north'],
      overrides: { fleet: { probationSeconds: 60 } },
      cameras: [{ id: 'c1', analyticsFps: 2, rules: [{ id: 'r1', template: 'people', zone: 'z', schedule: 'night' }] }],
    });
    const { document, problems } = renderSiteDocument([fleet, group], site);
    expect(problems).toEqual([]);
    // by hand: the group's urls replace the fleet's list, prefix stays; the site's probation wins;
    // the group's template (severity high) replaces the fleet's of the same name.
    expect(document).toEqual({
      site: { id: 's1' },
      mqtt: { urls: ['mqtt://north:1883'], prefix: 'c5' },
      fleet: { probationSeconds: 60 },
      cameras: [
        {
          id: 'c1',
          model: 'yolox-nano',
          analyticsFps: 2,
          rules: [
            { id: 'r1', type: 'zone_intrusion', labels: ['person'], severity: 'high', zone: 'z', schedule: { windows: [{ start: '22:00', end: '06:00' }] } },
          ],
        },
      ],
    });
  });

  it('names every unknown template and schedule with its path', () => {
    const site = siteFile({
      site: { id: 's1' },
      cameras: [{ id: 'c1', schedule: 'weekends', rules: [{ id: 'r1' }, { id: 'r2', template: 'peple' }] }],
    });
    const { problems } = renderSiteDocument([fleet], site);
    expect(problems).toEqual([
      { path: 'cameras[0].schedule', message: 'unknown schedule "weekends" (defined: night)' },
      { path: 'cameras[0].rules[1].template', message: 'unknown rule template "peple" (defined: people)' },
    ]);
  });
});
