import { describe, expect, it } from 'vitest';
import { configWarnings } from '../../../../pipelines/config/configWarnings.js';
import { parseSiteConfig } from '../../../../pipelines/config/siteConfig.js';

const square = [
  [0.1, 0.1],
  [0.9, 0.1],
  [0.9, 0.9],
  [0.1, 0.9],
];

describe('configWarnings', () => {
  it('names a camera without rules, a disabled camera, and a zone or line no rule watches', () => {
    const result = parseSiteConfig({
      version: 1,
      site: { id: 'site' },
      mqtt: { urls: ['mqtt://127.0.0.1:1883'] },
      cameras: [
        {
          id: 'gate',
          source: { url: 'x' },
          zones: [
            { id: 'watched', polygon: square },
            { id: 'spare', polygon: square },
          ],
          lines: [{ id: 'kerb', from: [0, 0.5], to: [1, 0.5] }],
          rules: [{ id: 'in-zone', type: 'zone_intrusion', zone: 'watched', labels: ['person'] }],
        },
        { id: 'off', enabled: false, source: { url: 'x' } },
        { id: 'lobby', source: { url: 'x' } },
      ],
    });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(configWarnings(result.config)).toEqual([
      'cameras[0].zones[1] (id "spare"): no rule watches this zone',
      'cameras[0].lines[0] (id "kerb"): no rule watches this line',
      'cameras[1] (id "off"): disabled (enabled: false), it will not be started',
      'cameras[2] (id "lobby"): no rules, it will detect but never alert',
    ]);
  });
});
