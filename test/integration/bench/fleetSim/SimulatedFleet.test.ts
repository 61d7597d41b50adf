import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signEnvelope } from '../../../../agent/fleet/signing.js';
import { loadFleetRepo } from '../../../../agent/fleet/repo/loadFleetRepo.js';
import { siteConfigText } from '../../../../agent/fleet/repo/siteConfigText.js';
import { sha256Hex } from '../../../../agent/sha256Hex.js';
import { SIMULATOR_BROKER_CONFIG } from '../../../../bench/fleetSim/runFleetSimulation.js';
import { SimulatedFleet } from '../../../../bench/fleetSim/SimulatedFleet.js';
import { startMosquitto, type MosquittoBroker } from '../../../helpers/mosquitto.js';
import { collectMqtt, type MqttCollector } from '../../../helpers/mqttCollector.js';
import { readRetained } from '../../../helpers/retainedMessage.js';

/**
 * The simulator's own sites, without the fleet tools: 40 sites on two shared connections take
 * pushes signed and published here, one by one, as `mosquitto_pub` would. What each site does
 * is read back from the broker (its retained reports), not from the simulator.
 */

let broker: MosquittoBroker;
let fleet: SimulatedFleet;
let collector: MqttCollector;
let workDir: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'c5-sim-sites-'));
  broker = await startMosquitto({ config: SIMULATOR_BROKER_CONFIG });
  fleet = await SimulatedFleet.create({
    sites: 40,
    camerasPerSite: 3,
    brokerUrl: broker.url,
    prefix: 'c5',
    workDir,
    failProbationShare: 0.2,
    offlineShare: 0.2,
    probationSeconds: 1,
    frameDelayMs: 50,
    sitesPerConnection: 20,
  });
  collector = await collectMqtt({ url: broker.url, topics: ['c5/+/config/state'] });
}, 60_000);

afterAll(async () => {
  await collector?.close();
  await fleet?.stop();
  await broker?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Signs version 2 of every site's rendered config with the fleet's key and publishes it retained, as C5 does. */
async function pushAll(): Promise<Map<string, string>> {
  fleet.changeAnalyticsFps(3);
  const privateKey = createPrivateKey(readFileSync(fleet.keyPath));
  const texts = new Map<string, string>();
  for (const site of loadFleetRepo(fleet.repoDir).sites) {
    const text = siteConfigText(site, 2);
    texts.set(site.siteId, text);
    const envelope = signEnvelope({ payload: Buffer.from(text), privateKey, keyId: fleet.keyId });
    await collector.client.publishAsync(`c5/${site.siteId}/config/push`, JSON.stringify(envelope), { qos: 1, retain: true });
  }
  return texts;
}

type State = { siteId: string; status: string; version: number; sha256: string; reason?: string; running: { version: number } };

async function retainedStates(): Promise<Map<string, State>> {
  const messages = await readRetained(broker.url, 'c5/+/config/state', 1_000);
  return new Map(messages.map((message) => [message.topic.split('/')[1]!, message.payload as State]));
}

/** Waits until each site has reported on version 2 (the collector also got each seed's retained report, version 1). */
async function untilReported(siteIds: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const missing = (): string[] =>
    siteIds.filter((site) => !collector.messages.some((m) => m.topic === `c5/${site}/config/state` && (m.payload as { version?: number }).version === 2));
  while (missing().length > 0) {
    if (Date.now() > deadline) {
      const seen = fleet.sites.filter((site) => missing().includes(site.siteId)).map((site) => `${site.siteId}: ${site.lastState?.status ?? 'no report'}`);
      throw new Error(`no config/state on the broker within ${timeoutMs} ms from ${seen.join(', ')}; site warnings: ${JSON.stringify([...fleet.logCounts])}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('simulated sites', () => {
  it('share connections: 40 sites on 2, each with its retained status online or offline', async () => {
    expect(fleet.connections).toBe(2);
    const statuses = await readRetained(broker.url, 'c5/+/status', 1_000);
    const state = new Map(statuses.map((message) => [message.topic.split('/')[1]!, (message.payload as { state: string }).state]));
    expect(state.size).toBe(40);
    for (const [siteId, value] of state) expect([siteId, value]).toEqual([siteId, fleet.offline.has(siteId) ? 'offline' : 'online']);
    expect(fleet.offline.size).toBeGreaterThan(0);
    expect(fleet.failing.size).toBeGreaterThan(0);
  });

  it('apply a signed push, roll the failing ones back after probation, and the offline ones catch up on reconnect', async () => {
    const texts = await pushAll();
    const online = [...texts.keys()].filter((site) => !fleet.offline.has(site));
    await untilReported(online, 20_000);
    let states = await retainedStates();
    for (const siteId of online) {
      const state = states.get(siteId)!;
      if (fleet.failing.has(siteId)) {
        expect(state).toMatchObject({ status: 'rolled_back', reason: 'probation_failed', version: 2, running: { version: 1 } });
      } else {
        expect(state).toMatchObject({ status: 'applied', version: 2, sha256: sha256Hex(texts.get(siteId)!), running: { version: 2 } });
      }
    }
    // The offline sites' retained report is still the one of the push that installed version 1.
    for (const siteId of fleet.offline) expect(states.get(siteId)).toMatchObject({ status: 'applied', version: 1, running: { version: 1 } });

    await fleet.reconnectOffline();
    await untilReported([...fleet.offline], 20_000);
    states = await retainedStates();
    for (const siteId of fleet.offline) expect(states.get(siteId)).toMatchObject({ status: 'applied', version: 2, sha256: sha256Hex(texts.get(siteId)!) });
    // Every site, once: verdicts counted by the audit appender the sites share.
    expect(fleet.auditCounts.get('config_push_accepted')).toBe(40);
    expect(fleet.auditCounts.get('config_push_rolled_back')).toBe(fleet.failing.size);
    expect(fleet.auditCounts.get('config_push_applied')).toBe(40 - fleet.failing.size);
  }, 60_000);
});
