import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpServer, metricsAuthFrom, type MetricsAuth, type Readiness } from '../../../agent/observe/HttpServer.js';
import { ObserveError } from '../../../pipelines/errors.js';
import { PROMTOOL, promtoolCheckMetrics } from '../../helpers/promtool.js';
import { requirePrerequisite, skipUnlessAvailable } from '../../helpers/prerequisites.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { createAgentMetrics, type AgentMetrics } from '../../../agent/observe/metrics.js';

const logger = createRootLogger({ level: 'silent' });
const servers: HttpServer[] = [];

async function startServer(readiness: () => Readiness = () => ({ ready: true, reasons: [] }), metrics?: AgentMetrics, auth?: MetricsAuth) {
  const m = metrics ?? createAgentMetrics({ siteId: 'site-a', version: '0.1.0', configVersion: 4 });
  const server = new HttpServer({ host: '127.0.0.1', port: 0, registry: m.registry, readiness, logger, ...(auth ? { auth } : {}) });
  servers.push(server);
  await server.start();
  return { server, metrics: m };
}

function get(url: string, init?: RequestInit): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe('HttpServer', () => {
  it.skipIf(skipUnlessAvailable(existsSync(PROMTOOL)))('serves /metrics that passes `promtool check metrics` after observations', async (ctx) => {
    requirePrerequisite(ctx, existsSync(PROMTOOL), `${PROMTOOL} is not installed (Debian package prometheus)`);
    const { server, metrics } = await startServer();
    metrics.stageSeconds.observe({ stage: 'inference' }, 0.042);
    metrics.stageSeconds.observe({ stage: 'decode' }, 0.0007);
    metrics.frameToAlertSeconds.observe(0.31);
    metrics.inferenceSeconds.observe({ model: 'yolox-nano' }, 0.038);
    metrics.framesTotal.inc({ camera: 'cam-1', outcome: 'processed' }, 25);
    metrics.framesTotal.inc({ camera: 'cam-1', outcome: 'dropped' });
    metrics.alertsTotal.inc({ camera: 'cam-1', rule: 'people', severity: 'high', outcome: 'published' });
    metrics.cameraUp.set({ camera: 'cam-1' }, 1);
    metrics.cameraRestartsTotal.inc({ camera: 'cam-1', reason: 'stalled' });
    metrics.mqttPublishFailuresTotal.inc({ reason: 'not_authorized' });
    metrics.mqttConnected.set(1);

    const res = await get(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('c5_agent_stage_seconds_bucket{le="0.05",stage="inference"} 1');
    expect(text).toContain('c5_agent_frame_to_alert_seconds_count 1');
    expect(text).toContain('c5_agent_info{version="0.1.0",site="site-a",config_version="4",models=""} 1');
    expect(text).toContain('process_resident_memory_bytes');

    const check = await promtoolCheckMetrics(text);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);
  });

  it('answers /readyz with 503 and the reasons while not ready, 200 once ready', async () => {
    let readiness: Readiness = { ready: false, reasons: ['mqtt_disconnected', 'camera_offline:cam-1'] };
    const { server } = await startServer(() => readiness);
    const notReady = await get(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, reasons: ['mqtt_disconnected', 'camera_offline:cam-1'] });
    readiness = { ready: true, reasons: [] };
    const ready = await get(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, reasons: [] });
  });

  it('reports a readiness check that throws as not ready instead of failing the request', async () => {
    const { server } = await startServer(() => {
      throw new Error('boom');
    });
    const res = await get(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, reasons: ['readiness_check_failed'] });
  });

  it('answers /healthz with 200 {status:"ok"}, and 404 / 405 for anything else', async () => {
    const { server } = await startServer(() => ({ ready: false, reasons: ['starting'] }));
    const health = await get(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await get(`${server.url}/`)).status).toBe(404);
    expect((await get(`${server.url}/metrics/../secrets`)).status).toBe(404);
    const post = await get(`${server.url}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('exposes the bound address, refuses a port in use with ObserveError, and stops idempotently', async () => {
    const { server } = await startServer();
    expect(server.address.host).toBe('127.0.0.1');
    expect(server.address.port).toBeGreaterThan(0);
    const clash = new HttpServer({
      host: '127.0.0.1',
      port: server.address.port,
      registry: createAgentMetrics({ siteId: 's', version: '1', defaultMetrics: false }).registry,
      readiness: () => ({ ready: true, reasons: [] }),
      logger,
    });
    await expect(clash.start()).rejects.toBeInstanceOf(ObserveError);
    await expect(clash.start()).rejects.toMatchObject({ code: 'listen_failed' });
    const url = server.url;
    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    await expect(get(`${url}/healthz`)).rejects.toThrow();
  });

  describe('with credentials', () => {
    const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const notReady = (): Readiness => ({ ready: false, reasons: ['no_camera_online'] });

    it('answers 401 with a Bearer challenge on /metrics and /readyz without the right token, 200 with it', async () => {
      const { server } = await startServer(notReady, undefined, { bearerToken: 'tok-3f9a' });
      for (const path of ['/metrics', '/readyz']) {
        const missing = await get(`${server.url}${path}`);
        expect(missing.status).toBe(401);
        expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="c5-agent"');
        expect(await missing.text()).toBe('unauthorized\n');
        for (const header of ['Bearer tok-3f9b', 'Bearer tok-3f9', 'bearer', 'Basic dG9rLTNmOWE=', 'tok-3f9a']) {
          expect((await get(`${server.url}${path}`, { headers: { authorization: header } })).status, `${path} ${header}`).toBe(401);
        }
      }
      const metrics = await get(`${server.url}/metrics`, { headers: { authorization: 'Bearer tok-3f9a' } });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('c5_agent_info');
      const ready = await get(`${server.url}/readyz`, { headers: { authorization: 'bearer tok-3f9a' } });
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ready: false, reasons: ['no_camera_online'] });
    });

    it('checks basic-auth username and password, and leaves /healthz open for local health checks', async () => {
      const { server } = await startServer(undefined, undefined, { username: 'prometheus', password: 'pa:ss w0rd' });
      expect((await get(`${server.url}/metrics`)).status).toBe(401);
      expect((await get(`${server.url}/metrics`)).headers.get('www-authenticate')).toBe('Basic realm="c5-agent", charset="UTF-8"');
      expect((await get(`${server.url}/metrics`, { headers: { authorization: basic('prometheus', 'wrong') } })).status).toBe(401);
      expect((await get(`${server.url}/metrics`, { headers: { authorization: basic('grafana', 'pa:ss w0rd') } })).status).toBe(401);
      expect((await get(`${server.url}/metrics`, { headers: { authorization: 'Bearer pa:ss w0rd' } })).status).toBe(401);
      expect((await get(`${server.url}/metrics`, { headers: { authorization: basic('prometheus', 'pa:ss w0rd') } })).status).toBe(200);
      expect((await get(`${server.url}/readyz`, { headers: { authorization: basic('prometheus', 'pa:ss w0rd') } })).status).toBe(200);
      const health = await get(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
    });

    it('refuses to listen beyond loopback without credentials, before binding anything', async () => {
      const registry = createAgentMetrics({ siteId: 's', version: '1', defaultMetrics: false }).registry;
      const open = new HttpServer({ host: '0.0.0.0', port: 0, registry, readiness: () => ({ ready: true, reasons: [] }), logger });
      await expect(open.start()).rejects.toMatchObject({ code: 'auth_required' });
      await expect(open.start()).rejects.toThrow(/refusing to serve metrics on 0\.0\.0\.0:0 without credentials/);
      expect(() => open.address).toThrow(ObserveError);
    });

    it('takes the validated config section as bearer or basic credentials', () => {
      expect(metricsAuthFrom(undefined)).toBeUndefined();
      expect(metricsAuthFrom({ bearerToken: 't' })).toEqual({ bearerToken: 't' });
      expect(metricsAuthFrom({ username: 'u', password: 'p' })).toEqual({ username: 'u', password: 'p' });
      expect(() => metricsAuthFrom({ username: 'u' })).toThrow(ObserveError);
    });
  });
});
