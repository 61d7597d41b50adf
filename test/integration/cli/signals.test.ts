import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigState } from '../../../agent/fleet/configState.js';
import { startAgentProcess, type AgentProcess } from '../../helpers/agentProcess.js';
import { createAgentSite, type AgentSite } from '../../helpers/agentSite.js';
import { readRecords } from '../../helpers/auditLog.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type CollectedMessage, type MqttCollector } from '../../helpers/mqttCollector.js';
import { waitFor } from '../../helpers/recordingListener.js';
import { readRetained } from '../../helpers/retainedMessage.js';

/**
 * The CLI's life across signals (dist build, real Mosquitto, cameras on the shared clip through
 * real ffmpeg): kill -9 during a push's probation, then a start that gives that push its verdict;
 * SIGHUP after the config file gained a camera, applied through probation while the agent keeps
 * running; SIGTERM leaving every camera's retained status offline/stopped.
 */

let broker: MosquittoBroker;
let collector: MqttCollector;
let site: AgentSite;
let agent: AgentProcess;

const statesSince = (mark: number): ConfigState[] =>
  collector.messages.slice(mark).filter((m) => m.topic === site.topics.state).map((m) => m.payload as ConfigState);

async function nextState(mark: number, timeoutMs: number): Promise<ConfigState> {
  const isNew = (m: CollectedMessage): boolean => m.topic === site.topics.state && collector.messages.indexOf(m) >= mark;
  return (await collector.waitFor(isNew, timeoutMs)).payload as ConfigState;
}

beforeAll(async () => {
  broker = await startMosquitto();
  site = createAgentSite('signals-cli', broker.url);
  collector = await collectMqtt({ url: broker.url, topics: [`c5/${site.siteId}/#`] });
  site.write({ version: 1, cameras: ['a'], probationSeconds: 30 });
  agent = await startAgentProcess(site.configPath, { env: site.env });
}, 90_000);

afterAll(async () => {
  await agent?.kill();
  await collector?.close();
  await broker?.stop();
});

describe('c5-agent run and signals', () => {
  it('kill -9 during a probation: the next start reports the push rolled_back, interrupted', async () => {
    const envelope = site.signer.push(site.yaml({ version: 2, cameras: ['a', 'b'], probationSeconds: 30 }));
    await collector.client.publishAsync(site.topics.push, envelope, { qos: 1 });
    await waitFor('the push on probation', () => agent.logs().some((line) => line.msg === 'probation started'), 30_000);
    await agent.kill();
    expect(statesSince(0)).toEqual([]);

    const mark = collector.messages.length;
    agent = await startAgentProcess(site.configPath, { env: site.env });
    const verdict = await nextState(mark, 20_000);
    expect(verdict).toMatchObject({ status: 'rolled_back', reason: 'interrupted', version: 2, origin: 'mqtt', running: { version: 1 } });
    expect(verdict.error).toContain('version 1 runs');
    await waitFor('the verdict audited', () => readRecords(site.auditDir).some((r) => r.type === 'config_push_rolled_back'), 10_000);
    expect(readRecords(site.auditDir).filter((r) => r.type === 'config_push_rolled_back')).toEqual([
      expect.objectContaining({ version: 2, reason: 'interrupted', origin: 'mqtt' }),
    ]);
    expect(await agent.metric('c5_agent_config_version')).toBe(1);
  }, 120_000);

  it('SIGHUP applies the edited file (a camera added) through probation, and the agent keeps running', async () => {
    site.write({ version: 3, cameras: ['a', 'b'], probationSeconds: 2 });
    const mark = collector.messages.length;
    agent.cli.child.kill('SIGHUP');
    const state = await nextState(mark, 30_000);
    expect(state).toMatchObject({ status: 'applied', version: 3, origin: 'local_file', keyId: null, running: { version: 3 } });
    expect(state.changes?.added).toEqual(['b']);
    expect(agent.cli.child.exitCode).toBeNull();
    expect((await agent.healthz(5_000)).ok).toBe(true);
    expect(await agent.metric('c5_agent_config_version')).toBe(3);
    expect(await agent.metric('c5_agent_frames_total', { camera: 'b' })).toBeGreaterThan(0);
    const audited = readRecords(site.auditDir).filter((r) => r.type.startsWith('config_push_') && r['origin'] === 'local_file');
    expect(audited.map((r) => r.type)).toEqual(['config_push_accepted', 'config_push_applied']);
  }, 60_000);

  it('SIGTERM leaves every camera retained offline/stopped, and the site offline', async () => {
    await collector.waitFor((m) => m.topic === site.topics.cameraStatus('b') && (m.payload as { state: string }).state === 'online', 30_000);
    const result = await agent.terminate();
    expect(result.code).toBe(0);
    const cameras = await readRetained(broker.url, `c5/${site.siteId}/+/status`);
    expect(Object.fromEntries(cameras.map((m) => [m.topic, m.payload]))).toEqual({
      [site.topics.cameraStatus('a')]: expect.objectContaining({ cameraId: 'a', state: 'offline', reason: 'stopped' }),
      [site.topics.cameraStatus('b')]: expect.objectContaining({ cameraId: 'b', state: 'offline', reason: 'stopped' }),
    });
    expect((await readRetained(broker.url, site.topics.status)).map((m) => m.payload)).toEqual([
      expect.objectContaining({ state: 'offline', reason: 'shutdown' }),
    ]);
  }, 60_000);
});
