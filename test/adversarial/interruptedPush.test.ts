import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigState } from '../../agent/fleet/configState.js';
import { startAgentProcess, type AgentProcess } from '../helpers/agentProcess.js';
import type { AgentSite } from '../helpers/agentSite.js';
import { readRecords } from '../helpers/auditLog.js';
import type { MosquittoBroker } from '../helpers/mosquitto.js';
import type { CollectedMessage, MqttCollector } from '../helpers/mqttCollector.js';
import { startSiteUnderTest, stopSiteUnderTest } from '../helpers/siteUnderTest.js';
import { waitFor } from '../helpers/recordingListener.js';
import { readRetained } from '../helpers/retainedMessage.js';

/**
 * Issue 12, case 4: a push interrupted by kill -9 during its probation. At the next start the
 * agent runs the last-known-good config and says on the retained `config/state` and in the audit
 * log what became of the interrupted version (`rolled_back`, reason `interrupted`); the same
 * envelope pushed again gets an answer, not silence.
 */

const PROBATION_SECONDS = 30;

let broker: MosquittoBroker;
let collector: MqttCollector;
let site: AgentSite;
let agent: AgentProcess;

const statesSince = (mark: number): ConfigState[] =>
  collector.messages
    .slice(mark)
    .filter((m) => m.topic === site.topics.state)
    .map((m) => m.payload as ConfigState);

beforeAll(async () => {
  ({ broker, site, collector, agent } = await startSiteUnderTest('crash-site', { version: 1, probationSeconds: PROBATION_SECONDS }));
}, 90_000);

afterAll(() => stopSiteUnderTest({ agent, collector, broker }));

describe('a push interrupted by kill -9 in its probation', () => {
  // adds camera b: an added camera is on probation until it has delivered frames for the window
  let envelope: Buffer;

  it('gets a verdict at the next start: rolled_back, interrupted, on config/state and in the audit log', async () => {
    envelope = site.signer.push(site.yaml({ version: 2, cameras: ['a', 'b'], probationSeconds: PROBATION_SECONDS }));
    await collector.client.publishAsync(site.topics.push, envelope, { qos: 1 });
    await waitFor('the push on probation', () => agent.logs().some((line) => line.msg === 'probation started'), 30_000);
    await agent.kill();
    expect(statesSince(0)).toEqual([]);

    const mark = collector.messages.length;
    agent = await startAgentProcess(site.configPath, { env: site.env });
    const isVerdict = (m: CollectedMessage): boolean => m.topic === site.topics.state && collector.messages.indexOf(m) >= mark;
    const verdict = (await collector.waitFor(isVerdict, 20_000)).payload as ConfigState;
    expect(verdict).toMatchObject({ status: 'rolled_back', reason: 'interrupted', version: 2, running: { version: 1 } });
    const retained = await readRetained(broker.url, site.topics.state);
    expect(retained.map((m) => m.payload)).toEqual([expect.objectContaining({ status: 'rolled_back', reason: 'interrupted', version: 2 })]);

    // the last-known-good (the bootstrap file here) runs: camera a only
    expect(await agent.metric('c5_agent_config_version')).toBe(1);
    const framesA = await agent.metric('c5_agent_frames_total', { camera: 'a' });
    const deadline = Date.now() + 20_000;
    while ((await agent.metric('c5_agent_frames_total', { camera: 'a' })) <= framesA && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await agent.metric('c5_agent_frames_total', { camera: 'a' })).toBeGreaterThan(framesA);
    expect(await agent.metric('c5_agent_frames_total', { camera: 'b' })).toBe(0);

    await waitFor('the verdict in the audit log', () => readRecords(site.auditDir).some((r) => r.type === 'config_push_rolled_back'), 10_000);
    const audited = readRecords(site.auditDir).filter((record) => record.type.startsWith('config_push_'));
    expect(audited.map((record) => ({ type: record.type, version: record['version'], reason: record['reason'] }))).toEqual([
      { type: 'config_push_accepted', version: 2, reason: undefined },
      { type: 'config_push_rolled_back', version: 2, reason: 'interrupted' },
    ]);
  }, 120_000);

  it('answers the same envelope pushed again on config/state', async () => {
    const mark = collector.messages.length;
    await collector.client.publishAsync(site.topics.push, envelope, { qos: 1 });
    const isAnswer = (m: CollectedMessage): boolean => m.topic === site.topics.state && collector.messages.indexOf(m) >= mark;
    const answer = (await collector.waitFor(isAnswer, 15_000)).payload as ConfigState;
    console.log(`the interrupted envelope pushed again: ${answer.status} (${answer.reason ?? 'no reason'}): ${answer.error ?? ''}`);
    expect(answer).toMatchObject({ version: 2, running: { version: 1 } });
    expect(answer.status).not.toBe('applied');
    expect(await agent.metric('c5_agent_config_version')).toBe(1);
    expect((await agent.terminate()).code).toBe(0);
  }, 60_000);
});
