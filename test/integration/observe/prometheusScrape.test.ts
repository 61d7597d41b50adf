import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/clock.js';
import { parseSiteConfigText } from '../../../agent/config/loadSiteConfig.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { startAgent, type RunningAgent } from '../../../agent/startAgent.js';
import { statsMessageSchema, type StatsMessage } from '../../../pipelines/statsMessage.js';
import { dashboardExpressions, readDashboard } from '../../helpers/grafanaDashboard.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type MqttCollector } from '../../helpers/mqttCollector.js';
import { clipPath, repoRoot, sharedModelsDir } from '../../helpers/paths.js';
import { skipUnlessAvailable } from '../../helpers/prerequisites.js';
import { PROMETHEUS_PATH, startPrometheus, type Prometheus, type PromSample } from '../../helpers/prometheus.js';
import { promtoolCheckMetrics } from '../../helpers/promtool.js';

/**
 * The shipped dashboard and alert rules against a real Prometheus scraping the whole agent: the
 * shared clip looped as camera "plaza" (YOLOX-Nano on ONNX Runtime, alerts to a real Mosquitto)
 * and a file that is not video as camera "junk", so restarts and a dead camera exist too.
 */

const SITE = 'prom-site';
const TOKEN = 'scrape-token-5d1e';
const CAMERAS = ['plaza', 'junk'];
const RULES = join(repoRoot, 'config', 'prometheus', 'c5-edge-agent.rules.yml');
/** every alert the shipped rules file defines */
const RULE_COUNT = (readFileSync(RULES, 'utf8').match(/^\s+- alert: /gm) ?? []).length;

/** What Grafana would send with site = SITE, camera = every camera, and a 1-minute rate window. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$site', SITE)
    .replaceAll('$camera', `(${CAMERAS.join('|')})`);
}

const finite = (sample: PromSample): boolean => Number.isFinite(Number(sample.value[1]));

let broker: MosquittoBroker;
let collector: MqttCollector;
let running: RunningAgent;
let prometheus: Prometheus;
let scratch: string;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${prometheus?.logs() ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const hasSeries = (expr: string) => async (): Promise<true | undefined> => ((await prometheus.query(expr)).length > 0 ? true : undefined);

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'c5-prom-'));
  const junk = join(scratch, 'not-a-video.mp4');
  writeFileSync(junk, 'this is a text file, not an MPEG-4 container\n'.repeat(50));
  broker = await startMosquitto();
  collector = await collectMqtt({ url: broker.url, topics: [`c5/${SITE}/stats`] });
  const env = { ...process.env, C5_MODELS_DIR: sharedModelsDir, C5_METRICS_TOKEN: TOKEN };
  const loaded = parseSiteConfigText(
    `
version: 3
site: { id: ${SITE} }
mqtt: { urls: ["${broker.url}"], reconnectMinSeconds: 0.2, reconnectMaxSeconds: 2 }
metrics: { port: 0, auth: { bearerToken: env:C5_METRICS_TOKEN } }
stats: { intervalSeconds: 1 }
cameras:
  - id: plaza
    source: { url: "${clipPath}", loop: true }
    analyticsFps: 5
    zones:
      - id: walkway
        polygon: [[0, 0.2], [1, 0.2], [1, 1], [0, 1]]
    rules:
      - { id: walkway-people, type: zone_intrusion, zone: walkway, labels: [person], minScore: 0.4 }
  - id: junk
    source: { url: "${junk}" }
`,
    'prom.yaml',
    env,
  );
  running = await startAgent({ loaded, env, clock: systemClock, logger: createRootLogger({ level: 'silent' }), version: '0.0.0-prom', metricsPort: 0 });
  prometheus = await startPrometheus({ targets: [new URL(running.metricsUrl).host], bearerToken: TOKEN, ruleFiles: [RULES] });
  // Enough history for every rate() window: alerts acknowledged, a restart counted, several scrapes.
  await until('published alerts', hasSeries('c5_agent_alerts_total{outcome="published"} > 0'), 40_000);
  // The latency panels read a 1-minute rate: an alert acknowledged in the last minute, not only at the start
  // (with re-linking a camera can go a while without a new event).
  await until('an alert acknowledged within the last minute', hasSeries('rate(c5_agent_frame_to_alert_seconds_count[1m]) > 0'), 90_000);
  await until('a restart of the junk camera', hasSeries('c5_agent_camera_restarts_total{camera="junk"}'), 20_000);
  await until('five scrapes', hasSeries('count_over_time(up{job="c5-agent"}[1m]) >= 5'), 20_000);
}, 180_000);

afterAll(async () => {
  await prometheus?.stop();
  await running?.stop();
  await collector?.close();
  await broker?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(skipUnlessAvailable(existsSync(PROMETHEUS_PATH)))('the agent under a real Prometheus', () => {
  it('is scraped with the bearer token; without it the endpoint answers 401', async () => {
    const [up] = await prometheus.query('up{job="c5-agent"}');
    expect(up?.value[1]).toBe('1');
    const refused = await fetch(`${running.metricsUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
    expect(refused.status).toBe(401);
    const text = await (
      await fetch(`${running.metricsUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(5_000) })
    ).text();
    const check = await promtoolCheckMetrics(text);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);
    const [info] = await prometheus.query('c5_agent_info');
    expect(info?.metric).toMatchObject({ site: SITE, version: '0.0.0-prom', config_version: '3', models: expect.stringMatching(/^yolox-nano@[0-9a-f]{64}$/) });
  });

  it('answers every PromQL expression of the Grafana dashboard with at least one series, with values', async () => {
    const expressions = dashboardExpressions(readDashboard('c5-edge-agent.json'));
    expect(expressions.length).toBeGreaterThanOrEqual(20);
    const problems: string[] = [];
    for (const { where, expr } of expressions) {
      const promql = substitute(expr);
      expect(promql, where).not.toMatch(/\$/);
      try {
        const result = await prometheus.query(promql);
        if (result.length === 0) problems.push(`${where}: no series for ${promql}`);
        else if (!result.some(finite)) problems.push(`${where}: only NaN/Inf for ${promql}`);
      } catch (error) {
        problems.push(`${where}: ${String(error)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('evaluates every alert rule cleanly on the live series, with C5CameraDown pending for the dead camera only', async () => {
    const data = await until(
      'every rule evaluated',
      async () => {
        const rules = await prometheus.api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>('rules');
        const all = rules.groups.flatMap((g) => g.rules);
        return all.length === RULE_COUNT && all.every((r) => r.health !== 'unknown') ? all : undefined;
      },
      15_000,
    );
    expect(RULE_COUNT).toBe(10);
    expect(data.filter((r) => r.health !== 'ok')).toEqual([]);
    const { alerts } = await until(
      'C5CameraDown pending',
      async () => {
        const found = await prometheus.api<{ alerts: { labels: Record<string, string>; state: string }[] }>('alerts');
        return found.alerts.some((a) => a.labels['alertname'] === 'C5CameraDown') ? found : undefined;
      },
      15_000,
    );
    // Others may be pending too on a loaded machine (C5FramesDropping when inference falls behind).
    const cameraDown = alerts.filter((a) => a.labels['alertname'] === 'C5CameraDown').map((a) => ({ ...a.labels, state: a.state }));
    expect(cameraDown).toEqual([
      {
        alertname: 'C5CameraDown',
        camera: 'junk',
        instance: new URL(running.metricsUrl).host,
        job: 'c5-agent',
        site: SITE,
        severity: 'warning',
        state: 'pending',
      },
    ]);
    expect(alerts.filter((a) => a.labels['alertname'] === 'C5AgentDown')).toEqual([]);
  });

  it('publishes c5.stats.v1 every interval on {prefix}/{site}/stats with the live figures', async () => {
    const message = await collector.waitFor((m) => {
      const parsed = statsMessageSchema.safeParse(m.payload);
      return parsed.success && (parsed.data.cameras.find((c) => c.id === 'plaza')?.fps.processed ?? 0) > 0;
    }, 10_000);
    expect(message.qos).toBe(0);
    expect(message.retain).toBe(false);
    const stats: StatsMessage = statsMessageSchema.parse(message.payload);
    expect(stats).toMatchObject({ schema: 'c5.stats.v1', siteId: SITE, configVersion: 3, mqttConnected: true });
    // alerts pass through the outbox on their way to the broker; with the broker up none piles up
    expect(stats.outbox.depth).toBeLessThan(50);
    expect(stats.periodSeconds).toBeGreaterThan(0.5);
    expect(stats.cameras.map((c) => [c.id, c.up])).toEqual([
      ['junk', false],
      ['plaza', true],
    ]);
    expect(stats.inference[0]).toMatchObject({ model: 'yolox-nano' });
  });
});
