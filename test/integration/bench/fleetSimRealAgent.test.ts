import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFleetRepo } from '../../../agent/fleet/repo/loadFleetRepo.js';
import { siteConfigText } from '../../../agent/fleet/repo/siteConfigText.js';
import { sha256Hex } from '../../../agent/sha256Hex.js';
import { parsePushReport } from '../../../bench/fleetSim/pushReport.js';
import { runFleetCli } from '../../../bench/fleetSim/runFleetCli.js';
import { SIMULATOR_BROKER_CONFIG } from '../../../bench/fleetSim/runFleetSimulation.js';
import { SimulatedFleet } from '../../../bench/fleetSim/SimulatedFleet.js';
import { startAgentProcess, type AgentProcess } from '../../helpers/agentProcess.js';
import { createAgentSite, type AgentSite } from '../../helpers/agentSite.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type MqttCollector } from '../../helpers/mqttCollector.js';
import { startRtspServer, type RtspServer } from '../../helpers/rtspServer.js';

/**
 * A real agent (`c5-agent run`, its camera on the GStreamer RTSP test server, real ffmpeg and
 * YOLOX-Nano) in the same fleet repository as 200 simulated sites: one `c5-agent fleet push`
 * restarts its camera (a fleet-wide analyticsFps change), the agent holds probation on real
 * frames and reports `applied`, next to the simulated sites.
 */

const REAL = 'real-site';
const SIMULATED = 200;

let broker: MosquittoBroker;
let rtsp: RtspServer;
let site: AgentSite;
let fleet: SimulatedFleet;
let agent: AgentProcess | undefined;
let collector: MqttCollector;
let workDir: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'c5-fleet-real-'));
  broker = await startMosquitto({ config: SIMULATOR_BROKER_CONFIG });
  rtsp = await startRtspServer();
  site = createAgentSite(REAL, broker.url);
  fleet = await SimulatedFleet.create({
    sites: SIMULATED,
    camerasPerSite: 2,
    brokerUrl: broker.url,
    prefix: 'c5',
    workDir,
    failProbationShare: 0,
    offlineShare: 0,
    probationSeconds: 1,
    frameDelayMs: 100,
    sitesPerConnection: 500,
    // The box's own paths and a probation long enough for a real RTSP camera to restart in.
    addSites: (repoDir, { trustedKeysFile }) =>
      writeFileSync(
        join(repoDir, 'sites', `${REAL}.yaml`),
        `site: { id: ${REAL} }\n` +
          `overrides:\n` +
          `  mqtt: { reconnectMinSeconds: 0.2, reconnectMaxSeconds: 2 }\n` +
          `  metrics: { port: 0 }\n` +
          `  outbox: { path: "${join(site.dir, 'outbox.sqlite')}" }\n` +
          `  inference: { workers: 1 }\n` +
          `  fleet: { trustedKeysFile: "${trustedKeysFile}", stateDir: "${site.stateDir}", probationSeconds: 4 }\n` +
          `cameras:\n` +
          `  - id: a\n    source: { url: "${rtsp.url}" }\n` +
          `    rules: [{ id: people-a, type: object_present, labels: [person], minScore: 0.5 }]\n`,
      ),
  });
  collector = await collectMqtt({ url: broker.url, topics: [`c5/${REAL}/#`] });
  // The box runs version 1 of its rendered config, as an earlier push left it.
  const rendered = loadFleetRepo(fleet.repoDir).sites.find((entry) => entry.siteId === REAL)!;
  writeFileSync(site.configPath, siteConfigText(rendered, 1));
  agent = await startAgentProcess(site.configPath, { env: site.env });
  await collector.waitFor((m) => m.topic === `c5/${REAL}/a/status` && (m.payload as { state?: string }).state === 'online', 45_000);
}, 120_000);

afterAll(async () => {
  await agent?.terminate();
  await collector?.close();
  await fleet?.stop();
  await rtsp?.stop();
  await broker?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('a real agent in a fleet push next to simulated sites', () => {
  it('restarts its camera on the pushed config, holds probation on real frames and reports applied', async () => {
    fleet.changeAnalyticsFps(3);
    const expected = siteConfigText(
      loadFleetRepo(fleet.repoDir).sites.find((entry) => entry.siteId === REAL)!,
      2,
    );
    const result = await runFleetCli(
      [
        'fleet',
        'push',
        ...['--repo', fleet.repoDir, '--broker', broker.url, '--key', fleet.keyPath, '--key-id', fleet.keyId, '--trusted', fleet.trustedKeysFile],
        ...['--canary', '1%', '--waves', '100%', '--wave-deadline', '60s', '--json'],
      ],
      { timeoutMs: 100_000 },
    );
    expect(result.code, result.stderr.slice(-2_000)).toBe(0);
    const report = parsePushReport(result.stdout);
    const applied = report.waves.flatMap((wave) => wave.applied);
    expect(applied).toContain(REAL);
    expect(applied).toHaveLength(SIMULATED + 1);
    // The agent's own retained report: the exact bytes the repository renders for it, version 2, its camera restarted.
    const states = collector.messages.filter((m) => m.topic === `c5/${REAL}/config/state`);
    expect(states.at(-1)?.payload).toMatchObject({
      siteId: REAL,
      status: 'applied',
      version: 2,
      sha256: sha256Hex(expected),
      origin: 'mqtt',
      running: { version: 2, sha256: sha256Hex(expected) },
      changes: { restarted: ['a'] },
    });
    const status = await runFleetCli(['fleet', 'status', '--repo', fleet.repoDir, '--broker', broker.url, '--json'], { timeoutMs: 60_000 });
    expect(status.code, status.stderr.slice(-1_000)).toBe(0);
  }, 110_000);
});
