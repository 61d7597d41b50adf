import { describe, expect, it } from 'vitest';
import { changesPolicy, diffSiteConfig, sameValue, startedCameras } from '../../../../pipelines/config/diffSiteConfig.js';
import { parseSiteConfig, type SiteConfig, type SiteConfigInput } from '../../../../pipelines/config/siteConfig.js';

type CameraInput = SiteConfigInput['cameras'][number];

function camera(id: string, extra: Partial<CameraInput> = {}): CameraInput {
  return {
    id,
    source: { url: `rtsp://10.0.0.1/${id}` },
    zones: [
      {
        id: 'door',
        polygon: [
          [0, 0],
          [1, 0],
          [1, 1],
        ],
      },
    ],
    rules: [{ id: 'people', type: 'zone_intrusion', zone: 'door', labels: ['person'] }],
    ...extra,
  };
}

function site(cameras: CameraInput[], extra: Partial<SiteConfigInput> = {}): SiteConfig {
  const result = parseSiteConfig({ version: 1, site: { id: 'site-a' }, mqtt: { urls: ['mqtt://127.0.0.1:1883'] }, cameras, ...extra });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

describe('diffSiteConfig', () => {
  it('finds nothing to do between equal configs, whatever the version', () => {
    const diff = diffSiteConfig(site([camera('a'), camera('b')]), site([camera('a'), camera('b')], { version: 9 }));
    expect(diff).toEqual({
      added: [],
      removed: [],
      restarted: [],
      reconfigured: [],
      unchanged: ['a', 'b'],
      modelsToLoad: [],
      modelsToRelease: [],
      needsRestart: [],
    });
  });

  it('swaps a zone change in place and restarts only the camera whose source changed', () => {
    const before = site([camera('a'), camera('b')]);
    const after = site([
      camera('a', { source: { url: 'rtsp://10.0.0.9/a' } }),
      camera('b', {
        zones: [
          {
            id: 'door',
            polygon: [
              [0, 0],
              [0.5, 0],
              [0.5, 0.5],
            ],
          },
        ],
      }),
    ]);
    const diff = diffSiteConfig(before, after);
    expect(diff.restarted).toEqual([{ id: 'a', fields: ['source'] }]);
    expect(diff.reconfigured).toEqual([{ id: 'b', fields: ['zones'] }]);
    expect(changesPolicy(diff.reconfigured[0]!)).toBe(true);
    expect(startedCameras(diff)).toEqual(['a']);
  });

  it('restarts on fps, model, stall timeout or tracker changes; keeps the policy for detection thresholds', () => {
    const before = site([camera('a'), camera('b'), camera('c'), camera('d'), camera('e')]);
    const after = site([
      camera('a', { analyticsFps: 2 }),
      camera('b', { model: 'other-model' }),
      camera('c', { stallTimeoutSeconds: 5 }),
      camera('d', { tracker: { minHits: 3 } }),
      camera('e', { detection: { minScore: 0.4 } }),
    ]);
    const diff = diffSiteConfig(before, after);
    expect(diff.restarted.map((change) => change.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(diff.reconfigured).toEqual([{ id: 'e', fields: ['detection'] }]);
    expect(changesPolicy(diff.reconfigured[0]!)).toBe(false);
    expect(diff.modelsToLoad).toEqual(['other-model']);
    expect(diff.modelsToRelease).toEqual([]);
  });

  it('treats a disabled camera as removed and a new or re-enabled one as added; releases unused models', () => {
    const before = site([camera('a', { model: 'old-model' }), camera('b')]);
    const after = site([camera('a', { model: 'old-model', enabled: false }), camera('c')]);
    const diff = diffSiteConfig(before, after);
    expect(diff.added).toEqual(['c']);
    expect([...diff.removed].sort()).toEqual(['a', 'b']);
    expect(diff.modelsToRelease).toEqual(['old-model']);
    expect(startedCameras(diff)).toEqual(['c']);
    expect([...diffSiteConfig(after, before).added].sort()).toEqual(['a', 'b']);
  });

  it('restarts every camera when the ffmpeg binary changes', () => {
    const diff = diffSiteConfig(site([camera('a'), camera('b')]), site([camera('a'), camera('b')], { ffmpegPath: '/opt/ffmpeg' }));
    expect(diff.restarted.map((change) => change.id)).toEqual(['a', 'b']);
  });

  it('lists site settings that only a restart applies, and none for the ones applied live', () => {
    const before = site([camera('a')], { fleet: { trustedKeysFile: '/k.json', stateDir: '/var/lib/c5' } });
    const after = site([camera('a')], {
      mqtt: { urls: ['mqtt://127.0.0.1:1884'] },
      metrics: { port: 9999 },
      site: { id: 'site-a', name: 'renamed' },
      fleet: { trustedKeysFile: '/k2.json', stateDir: '/srv/c5', probationSeconds: 5, maxPushBytes: 4 * 1024 * 1024 },
    });
    expect(diffSiteConfig(before, after).needsRestart).toEqual(['fleet.maxPushBytes', 'fleet.stateDir', 'metrics', 'mqtt']);
  });

  it('compares parsed values structurally', () => {
    expect(sameValue({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(sameValue({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameValue({ a: undefined }, {})).toBe(true);
    expect(sameValue([1], { 0: 1 })).toBe(false);
    expect(sameValue(null, {})).toBe(false);
  });
});
