import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigState } from '../../agent/fleet/configState.js';
import { WARN, type AgentProcess } from '../helpers/agentProcess.js';
import type { AgentSite } from '../helpers/agentSite.js';
import type { MosquittoBroker } from '../helpers/mosquitto.js';
import type { CollectedMessage, MqttCollector } from '../helpers/mqttCollector.js';
import { startSiteUnderTest, stopSiteUnderTest } from '../helpers/siteUnderTest.js';
import { waitFor } from '../helpers/recordingListener.js';
import { readRetained } from '../helpers/retainedMessage.js';

/**
 * Issue 12, case 6: SIGHUP re-reads the --config file and applies it through the push path
 * (verdict on config/state with origin `local_file`), a broken file leaves the running config and
 * says why, and SIGTERM leaves every camera's retained status `offline` with reason `stopped`.
 */

let broker: MosquittoBroker;
let collector: MqttCollector;
let site: AgentSite;
let agent: AgentProcess;

/** Sends SIGHUP and waits for the config/state report it causes. */
async function hangUp(): Promise<ConfigState> {
  const mark = collector.messages.length;
  agent.cli.child.kill('SIGHUP');
  const isNew = (m: CollectedMessage): boolean => m.topic === site.topics.state && collector.messages.indexOf(m) >= mark;
  return (await collector.waitFor(isNew, 20_000)).payload as ConfigState;
}

beforeAll(async () => {
  ({ broker, site, collector, agent } = await startSiteUnderTest('signal-site', { version: 1, cameras: ['a', 'b'] }));
  await collector.waitFor((m) => m.topic === site.topics.cameraStatus('b') && (m.payload as { state: string }).state === 'online', 30_000);
}, 90_000);

afterAll(() => stopSiteUnderTest({ agent, collector, broker }));

describe('signals', () => {
  it('SIGHUP applies the edited config file through the push path and the agent keeps running', async () => {
    site.write({ version: 2, cameras: ['a', 'b'], minScore: 0.45 });
    const state = await hangUp();
    expect(state).toMatchObject({ status: 'applied', version: 2, origin: 'local_file', running: { version: 2 } });
    expect(state.changes?.reconfigured).toEqual(['a', 'b']);
    expect(agent.cli.child.exitCode).toBeNull();
    expect((await agent.healthz()).ok).toBe(true);
    expect(await agent.metric('c5_agent_config_version')).toBe(2);
  }, 40_000);

  it('SIGHUP with a broken file keeps the running config and says which field is wrong', async () => {
    const logsBefore = agent.logs().length;
    writeFileSync(site.configPath, site.yaml({ version: 3, cameras: ['a', 'b'] }).replace('analyticsFps: 2', 'analyticsFps: 0'));
    const state = await hangUp();
    expect(state).toMatchObject({ status: 'rejected', origin: 'local_file', running: { version: 2 } });
    expect(state.error).toContain('cameras[0].analyticsFps');
    // stdout and the broker are two channels: the log line may arrive after the report
    await waitFor(
      'a warn log line naming the field',
      () =>
        agent
          .logs()
          .slice(logsBefore)
          .some((line) => line.level >= WARN && JSON.stringify(line).includes('cameras[0].analyticsFps')),
      5_000,
    );
    expect(agent.cli.child.exitCode).toBeNull();
    expect((await agent.healthz()).ok).toBe(true);
    expect(await agent.metric('c5_agent_config_version')).toBe(2);
    const frames = await agent.metric('c5_agent_frames_total', { camera: 'b' });
    const deadline = Date.now() + 10_000;
    while ((await agent.metric('c5_agent_frames_total', { camera: 'b' })) <= frames && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await agent.metric('c5_agent_frames_total', { camera: 'b' })).toBeGreaterThan(frames);
  }, 40_000);

  it('SIGTERM leaves every camera, and the site, retained offline', async () => {
    const result = await agent.terminate();
    expect(result.code).toBe(0);
    const statuses = await readRetained(broker.url, `c5/${site.siteId}/+/status`);
    const byTopic = Object.fromEntries(statuses.map((m) => [m.topic, m.payload]));
    expect(byTopic).toEqual({
      [site.topics.cameraStatus('a')]: expect.objectContaining({ cameraId: 'a', state: 'offline', reason: 'stopped' }),
      [site.topics.cameraStatus('b')]: expect.objectContaining({ cameraId: 'b', state: 'offline', reason: 'stopped' }),
    });
    const siteStatus = await readRetained(broker.url, site.topics.status);
    expect(siteStatus.map((m) => m.payload)).toEqual([expect.objectContaining({ state: 'offline', reason: 'shutdown' })]);
  }, 30_000);
});
