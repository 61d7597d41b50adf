import { describe, expect, it } from 'vitest';
import { auditDirFrom, auditSchema, DEFAULT_AUDIT_DIR } from '../../../../pipelines/config/auditSchema.js';
import { parseSiteConfig } from '../../../../pipelines/config/siteConfig.js';

const site = (extra: Record<string, unknown>) => ({
  version: 1,
  site: { id: 's' },
  mqtt: { urls: ['mqtt://127.0.0.1:1'] },
  cameras: [{ id: 'c', source: { url: 'x' } }],
  ...extra,
});

describe('audit config', () => {
  it('defaults to a 1 s fsync batch and a 5 min checkpoint, and takes the folder from the config, then C5_AUDIT_DIR, then /var/lib', () => {
    const parsed = parseSiteConfig(site({}));
    expect(parsed.ok && parsed.config.audit).toEqual({ fsyncIntervalMs: 1000, checkpointIntervalSeconds: 300 });
    const settings = auditSchema.parse({});
    expect(auditDirFrom(settings, {})).toBe(DEFAULT_AUDIT_DIR);
    expect(auditDirFrom(settings, { C5_AUDIT_DIR: '/srv/audit' })).toBe('/srv/audit');
    expect(auditDirFrom(auditSchema.parse({ dir: '/data/audit' }), { C5_AUDIT_DIR: '/srv/audit' })).toBe('/data/audit');
  });

  it('names the field of a bad value or an unknown key', () => {
    expect(parseSiteConfig(site({ audit: { fsyncIntervalMs: 0 } }))).toEqual({
      ok: false,
      errors: ['audit.fsyncIntervalMs: Too small: expected number to be >=10 (received 0)'],
    });
    expect(parseSiteConfig(site({ audit: { folder: '/x' } }))).toEqual({ ok: false, errors: ['audit: unknown key(s) "folder"'] });
  });
});
