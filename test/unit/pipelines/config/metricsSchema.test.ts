import { describe, expect, it } from 'vitest';
import { isLoopbackHost, parseSiteConfig } from '../../../../pipelines/config/siteConfig.js';

const site = (extra: object) => ({
  version: 1,
  site: { id: 'site-a' },
  mqtt: { urls: ['mqtt://127.0.0.1:1883'] },
  cameras: [{ id: 'cam-1', source: { url: 'rtsp://cam/1' } }],
  ...extra,
});

function errorsOf(input: unknown): string[] {
  const result = parseSiteConfig(input);
  return result.ok ? [] : result.errors;
}

describe('metrics and stats config', () => {
  it('defaults to loopback without credentials, and stats every 60 s', () => {
    const result = parseSiteConfig(site({}));
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(result.config.stats).toEqual({ enabled: true, intervalSeconds: 60 });
  });

  it('refuses a non-loopback host without credentials, naming the field and the host', () => {
    expect(errorsOf(site({ metrics: { host: '0.0.0.0' } }))).toEqual([
      'metrics.auth: required when host is "0.0.0.0" (not a loopback address): set auth.bearerToken, or auth.username and auth.password (env:NAME or file:/path references)',
    ]);
    expect(errorsOf(site({ metrics: { host: '10.1.2.3', auth: { bearerToken: 'env:METRICS_TOKEN' } } }))).toEqual([]);
    expect(errorsOf(site({ metrics: { host: '::', auth: { username: 'prom', password: 'file:/run/secrets/metrics' } } }))).toEqual([]);
  });

  it('takes a bearer token or a username and password, not both, not half', () => {
    const metrics = (auth: object) => site({ metrics: { host: '0.0.0.0', auth } });
    expect(errorsOf(metrics({ bearerToken: 't', username: 'u', password: 'p' }))).toEqual([
      'metrics.auth: set either bearerToken or username and password, not both',
    ]);
    expect(errorsOf(metrics({}))).toEqual(['metrics.auth: set bearerToken, or username and password']);
    expect(errorsOf(metrics({ password: 'p' }))).toEqual(['metrics.auth.username: basic auth needs a username as well as a password']);
    expect(errorsOf(metrics({ username: 'u' }))).toEqual(['metrics.auth.password: basic auth needs a password as well as a username']);
    expect(errorsOf(metrics({ token: 't' }))[0]).toContain('metrics.auth: unknown key(s) "token"');
  });

  it('bounds the stats interval', () => {
    expect(errorsOf(site({ stats: { intervalSeconds: 0.5 } }))[0]).toMatch(/^stats\.intervalSeconds: .*(received 0\.5)/);
    expect(errorsOf(site({ stats: { enabled: false, intervalSeconds: 15 } }))).toEqual([]);
  });

  it('knows which hosts only the box can reach', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'edge-box.local', '128.0.0.1', '127.0.0.1.example.com', '::ffff:10.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
