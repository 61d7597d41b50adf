import { describe, expect, it } from 'vitest';
import {
  DEFAULT_INFERENCE_THREAD,
  DEFAULT_INFERENCE_WORKERS,
  DEFAULT_SESSION_OPTIONS,
  inferenceSchema,
  sessionSettingsFor,
} from '../../../../pipelines/config/inferenceSchema.js';
import { parseSiteConfig } from '../../../../pipelines/config/siteConfig.js';

const site = (extra: Record<string, unknown>) => ({
  version: 1,
  site: { id: 'site-a' },
  mqtt: { urls: ['mqtt://127.0.0.1:1883'] },
  cameras: [{ id: 'cam-1', source: { url: 'x' } }],
  ...extra,
});

describe('inference settings', () => {
  it('default to the measured session options, and motion gating off', () => {
    const parsed = parseSiteConfig(site({}));
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    expect(sessionSettingsFor(parsed.config.inference, 'yolox-nano')).toEqual(DEFAULT_SESSION_OPTIONS);
    expect(parsed.config.inference.thread).toBe(DEFAULT_INFERENCE_THREAD);
    expect(parsed.config.inference).toMatchObject({ thread: 'worker', workers: DEFAULT_INFERENCE_WORKERS });
    expect(DEFAULT_INFERENCE_WORKERS).toBe(2);
    expect(parsed.config.cameras[0]!.motion).toEqual({ enabled: false, threshold: 12, minAreaFraction: 0.002, recheckSeconds: 2, globalChangeFraction: 0.5 });
  });

  it("take a model's own options over the site's, field by field, with cpu always last", () => {
    const settings = inferenceSchema.parse({
      intraOpNumThreads: 2,
      executionProviders: ['cpu', 'cuda'],
      models: { 'yolox-nano': { intraOpNumThreads: 1, graphOptimizationLevel: 'extended' } },
    });
    expect(sessionSettingsFor(settings, 'yolox-nano')).toEqual({
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'extended',
      executionProviders: ['cuda', 'cpu'],
    });
    expect(sessionSettingsFor(settings, 'other').intraOpNumThreads).toBe(2);
  });

  it('name the field and value of a bad option', () => {
    const parsed = parseSiteConfig(site({ inference: { intraOpNumThreads: -1, executionProviders: ['tpu'] } }));
    expect(parsed.ok).toBe(false);
    const errors = parsed.ok ? [] : parsed.errors;
    expect(errors.some((line) => line.startsWith('inference.intraOpNumThreads:') && line.includes('-1'))).toBe(true);
    expect(errors.some((line) => line.startsWith('inference.executionProviders[0]:') && line.includes('"tpu"'))).toBe(true);
  });

  it('name the field of a bad motion setting', () => {
    const parsed = parseSiteConfig(site({ cameras: [{ id: 'cam-1', source: { url: 'x' }, motion: { enabled: true, recheckSeconds: 0 } }] }));
    expect(parsed.ok ? [] : parsed.errors).toEqual([expect.stringMatching(/^cameras\[0\]\.motion\.recheckSeconds: .*\(received 0\)$/)]);
  });
});
