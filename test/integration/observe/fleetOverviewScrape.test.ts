import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/clock.js';
import { parseSiteConfigText } from '../../../agent/config/loadSiteConfig.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { startAgent, type RunningAgent } from '../../../agent/startAgent.js';
import { dashboardExpressions, readDashboard } from '../../helpers/grafanaDashboard.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { clipPath, repoRoot, sharedModelsDir } from '../../helpers/paths.js';
import { skipUnlessAvailable } from '../../helpers/prerequisites.js';
import { PROMETHEUS_PATH, startPrometheus, type Prometheus, type PromSample } from '../../helpers/prometheus.js';

/**
 * The fleet overview dashboard against a real Prometheus scraping three running agents and one
 * target nobody answers: site "fleet-a" runs the shared clip with a rule (alerts, latency) and a
 * file that is not video as camera "junk" (down, restarting); "fleet-b" and "fleet-c" run the clip
 * without rules. So "cameras down" must be 1 and name junk, "agents down" must be 1, alerts come
 * at one severity (high), and every panel has data.
 */

const TOKEN = 'fleet-scrape-token-7c2a';
const SITES = ['fleet-a', 'fleet-b', 'fleet-c'];
const RULES = join(repoRoot, 'config', 'prometheus', 'c5-edge-agent.rules.yml');

/** What Grafana sends with the default site filter and a 1-minute rate window. */
const substitute = (expr: string): string => expr.replaceAll('$__rate_interval', '1m').replaceAll('$site_filter', '.*');
const finite = (sample: PromSample): boolean => Number.isFinite(Number(sample.value[1]));

/** A loopback port that was free a moment ago and that nothing listens on: the dead agent. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let broker: MosquittoBroker;
const agents: RunningAgent[] = [];
let prometheus: Prometheus;
let scratch: string;
let deadTarget: string;

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

function siteConfig(site: string, withRule: boolean, junk: string): string {
  const rule = withRule
    ? `
    zones:
      - id: walkway
        polygon: [[0, 0.2], [1, 0.2], [1, 1], [0, 1]]
    rules:
      - { id: walkway-people, type: zone_intrusion, zone: walkway, labels: [person], minScore: 0.4, severity: high }
  - id: junk
    source: { url: "${junk}" }`
    : '';
  return `
version: ${withRule ? 4 : 3}
site: { id: ${site} }
mqtt: { urls: ["${broker.url}"], reconnectMinSeconds: 0.2, reconnectMaxSeconds: 2 }
metrics: { port: 0, auth: { bearerToken: env:C5_METRICS_TOKEN } }
cameras:
  - id: plaza
    source: { url: "${clipPath}", loop: true }
    analyticsFps: ${withRule ? 5 : 1}${rule}
`;
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'c5-fleet-prom-'));
  const junk = join(scratch, 'not-a-video.mp4');
  writeFileSync(junk, 'this is a text file, not an MPEG-4 container\n'.repeat(50));
  broker = await startMosquitto();
  const env = { ...process.env, C5_MODELS_DIR: sharedModelsDir, C5_METRICS_TOKEN: TOKEN };
  for (const [index, site] of SITES.entries()) {
    const loaded = parseSiteConfigText(siteConfig(site, index === 0, junk), `${site}.yaml`, env);
    agents.push(await startAgent({ loaded, env, clock: systemClock, logger: createRootLogger({ level: 'silent' }), version: '0.0.0-fleet', metricsPort: 0 }));
  }
  deadTarget = `127.0.0.1:${await closedPort()}`;
  const targets = [...agents.map((a) => new URL(a.metricsUrl).host), deadTarget];
  prometheus = await startPrometheus({ targets, bearerToken: TOKEN, ruleFiles: [RULES] });
  await until('published alerts', hasSeries('c5_agent_alerts_total{outcome="published"} > 0'), 60_000);
  // The latency panels read a 1-minute rate: an alert acknowledged in the last minute, not only at the start
  // (with re-linking a camera can go a while without a new event).
  await until('an alert acknowledged within the last minute', hasSeries('rate(c5_agent_frame_to_alert_seconds_count[1m]) > 0'), 90_000);
  await until('a restart of the junk camera', hasSeries('c5_agent_camera_restarts_total{camera="junk"}'), 20_000);
  await until('five scrapes of every agent', hasSeries(`count(count_over_time(up{job="c5-agent"}[1m]) >= 5) == ${targets.length}`), 20_000);
}, 210_000);

afterAll(async () => {
  await prometheus?.stop();
  for (const agent of agents) await agent.stop();
  await broker?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(skipUnlessAvailable(existsSync(PROMETHEUS_PATH)))('the fleet overview under a real Prometheus scraping three agents', () => {
  it('answers every PromQL expression of the dashboard with at least one finite value', async () => {
    const expressions = dashboardExpressions(readDashboard('c5-fleet-overview.json'));
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

  it('counts and names what is down: one camera (junk at fleet-a), one agent (the dead target)', async () => {
    const byTitle = new Map(dashboardExpressions(readDashboard('c5-fleet-overview.json')).map(({ where, expr }) => [where, substitute(expr)]));
    const query = async (where: string): Promise<PromSample[]> => prometheus.query(byTitle.get(where) ?? `missing ${where}`);
    expect((await query('panel "Cameras down" A')).map((s) => s.value[1])).toEqual(['1']);
    expect((await query('panel "Cameras up" A')).map((s) => s.value[1])).toEqual(['3']);
    expect((await query('panel "Cameras down: 10 of them" A')).map((s) => [s.metric['site'], s.metric['camera']])).toEqual([['fleet-a', 'junk']]);
    expect((await query('panel "Sites with most cameras down: top 10" A')).map((s) => [s.metric['site'], s.value[1]])).toEqual([['fleet-a', '1']]);
    expect((await query('panel "Agents down (scrape targets)" A')).map((s) => s.value[1])).toEqual(['1']);
    expect((await query('panel "Agents up" A')).map((s) => s.value[1])).toEqual(['3']);
    expect((await query('panel "Agents down: 10 of them" A')).map((s) => s.metric['instance'])).toEqual([deadTarget]);
    expect((await query('panel "Sites reporting" A')).map((s) => s.value[1])).toEqual(['3']);
    const spread = (await query('panel "Config version spread" A')).map((s) => [s.metric['config_version'], s.value[1]]);
    expect(spread.sort()).toEqual([
      ['3', '2'],
      ['4', '1'],
    ]);
    expect((await query('panel "Config versions in service" A')).map((s) => s.value[1])).toEqual(['2']);
    expect((await query('panel "Agents restarted (last hour)" A')).map((s) => s.value[1])).toEqual(['0']);
    // the one rule (fleet-a's) is severity high; nothing failed to be stored
    expect((await query('panel "Alerts per minute by severity" A')).map((s) => s.metric['severity'])).toEqual(['high']);
    expect((await query('panel "Alerts per minute by severity" B')).map((s) => s.value[1])).toEqual(['0']);
  });

  it('narrows to the sites the free-text filter matches', async () => {
    const expressions = dashboardExpressions(readDashboard('c5-fleet-overview.json'));
    const withFilter = (where: string, filter: string): string =>
      (expressions.find((e) => e.where === where)?.expr ?? `missing ${where}`).replaceAll('$__rate_interval', '1m').replaceAll('$site_filter', filter);
    expect((await prometheus.query(withFilter('panel "Sites reporting" A', 'fleet-b'))).map((s) => s.value[1])).toEqual(['1']);
    expect((await prometheus.query(withFilter('panel "Cameras down" A', 'fleet-(b|c)'))).map((s) => s.value[1])).toEqual(['0']);
    expect((await prometheus.query(withFilter('panel "Cameras up" A', 'fleet-(b|c)'))).map((s) => s.value[1])).toEqual(['2']);
  });
});
