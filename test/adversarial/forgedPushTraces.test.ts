import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigState } from '../../agent/fleet/configState.js';
import { WARN, type AgentProcess } from '../helpers/agentProcess.js';
import type { AgentSite } from '../helpers/agentSite.js';
import { readRecords } from '../helpers/auditLog.js';
import { EXPECTED_REASON, echoesMoreThan, FORGED_SHAPES, forgedPush } from '../helpers/forgedPushes.js';
import type { MosquittoBroker } from '../helpers/mosquitto.js';
import type { CollectedMessage, MqttCollector } from '../helpers/mqttCollector.js';
import { startSiteUnderTest, stopSiteUnderTest } from '../helpers/siteUnderTest.js';
import { readRetained } from '../helpers/retainedMessage.js';

/**
 * Issue 12, case 5: forged pushes leave bounded traces. After a genuine push is applied, N forged
 * ones (every shape that fails before a signature holds) are counted one by one in
 * `c5_agent_config_push_unverified_total`, summed in far fewer `config_push_unverified` audit
 * records, logged in far fewer warn lines, never answered on `config/state` (the verified
 * verdict stays retained), and never reveal the id of a trusted key the attacker did not name
 * nor more than a short prefix of what the attacker sent.
 */

const N = 30;
const UNVERIFIED = 'c5_agent_config_push_unverified_total';
/** quoteUntrusted's default echo is 40 characters; anything longer is a leak. */
const MAX_ECHO = 64;
const MARKER = 'Q';
const MAX_PUSH_BYTES = 256 * 1024;

let broker: MosquittoBroker;
let collector: MqttCollector;
let site: AgentSite;
let agent: AgentProcess;

/** Everything the agent said on MQTT: every topic but the push topic, where only the test speaks. */
const agentMessages = (from = 0): CollectedMessage[] => collector.messages.slice(from).filter((m) => m.topic !== site.topics.push);

/**
 * The i-th forged push and the reason it must be refused for: the five shapes of forgedPush, one
 * just over fleet.maxPushBytes (still under the maximum packet size, so it reaches the agent), and
 * one naming a trusted key that has expired, signed by it.
 */
function forgery(i: number): [string, Buffer] {
  if (i % 7 === 5) return ['too_large', Buffer.alloc(MAX_PUSH_BYTES + 1_000, MARKER)];
  if (i % 7 === 6) return ['key_expired', site.retiredSigner.push(site.yaml({ version: 50 + i, maxPushBytes: MAX_PUSH_BYTES }))];
  const shape = FORGED_SHAPES[i % 7]!;
  return [EXPECTED_REASON[shape], forgedPush(shape, 2_000 + i * 6_000, { trustedKeyId: site.signer.keyId, marker: MARKER })];
}

beforeAll(async () => {
  ({ broker, site, collector, agent } = await startSiteUnderTest('forged-site', { version: 1, maxPushBytes: MAX_PUSH_BYTES }, { topics: ['#'] }));
}, 90_000);

afterAll(() => stopSiteUnderTest({ agent, collector, broker }));

describe('forged config pushes', () => {
  const reasons = new Map<string, number>();
  let logsBefore = 0;
  let messagesBefore = 0;
  let metricsText = '';

  it('are counted one by one, never answered on config/state, and leave the verified verdict retained', async () => {
    // A genuine push first, retained as the centre sends them: the verdict a forgery must not replace.
    const genuine = site.signer.push(site.yaml({ version: 2, minScore: 0.45, maxPushBytes: MAX_PUSH_BYTES }));
    await collector.client.publishAsync(site.topics.push, genuine, { qos: 1, retain: true });
    const applied = await collector.waitFor((m) => m.topic === site.topics.state && (m.payload as ConfigState).version === 2, 20_000);
    expect(applied.payload).toMatchObject({ status: 'applied', version: 2, keyId: site.signer.keyId });

    logsBefore = agent.logs().length;
    messagesBefore = collector.messages.length;
    for (let i = 0; i < N; i += 1) {
      const [reason, payload] = forgery(i);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      await collector.client.publishAsync(site.topics.push, payload, { qos: 1 });
    }
    const deadline = Date.now() + 30_000;
    while ((await agent.metric(UNVERIFIED)) < N && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));

    metricsText = await agent.metricsText();
    expect(await agent.metric(UNVERIFIED)).toBe(N);
    for (const [reason, count] of reasons) expect({ reason, count: await agent.metric(UNVERIFIED, { reason }) }).toEqual({ reason, count });

    expect(agentMessages(messagesBefore).filter((m) => m.topic === site.topics.state)).toEqual([]);
    const retained = await readRetained(broker.url, site.topics.state);
    expect(retained.map((m) => m.payload)).toEqual([expect.objectContaining({ status: 'applied', version: 2, keyId: site.signer.keyId })]);
    expect(await agent.metric('c5_agent_config_version')).toBe(2);
  }, 90_000);

  it('are logged in far fewer warn lines than pushes', () => {
    const warnings = agent
      .logs()
      .slice(logsBefore)
      .filter((line) => line.level >= WARN);
    console.log(`${N} forged pushes: ${warnings.length} warn log line(s): ${warnings.map((line) => line.msg).join(' | ')}`);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.length).toBeLessThanOrEqual(N / 10);
  });

  it('are summed in few audit records once the agent stops', async () => {
    expect((await agent.terminate()).code).toBe(0);
    const summaries = readRecords(site.auditDir).filter((record) => record.type === 'config_push_unverified');
    console.log(`${N} forged pushes: ${summaries.length} config_push_unverified audit record(s)`);
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries.length).toBeLessThanOrEqual(N / 10);
    const total = summaries.reduce((sum, record) => sum + (record['count'] as number), 0);
    expect(total).toBe(N);
    const byReason = new Map<string, number>();
    for (const record of summaries) {
      expect(record).toMatchObject({ count: expect.any(Number), byReason: expect.any(Object), firstAt: expect.any(String), lastAt: expect.any(String) });
      for (const [reason, count] of Object.entries(record['byReason'] as Record<string, number>)) byReason.set(reason, (byReason.get(reason) ?? 0) + count);
    }
    expect(Object.fromEntries(byReason)).toEqual(Object.fromEntries(reasons));
    // none of them went down the verified path's records
    expect(readRecords(site.auditDir).filter((record) => record.type === 'config_push_rejected')).toEqual([]);
  }, 30_000);

  it("never name a trusted key the attacker did not, nor echo more than a short prefix of the attacker's text", () => {
    const auditText = readdirSync(site.auditDir)
      .map((name) => readFileSync(join(site.auditDir, name), 'utf8'))
      .join('\n');
    const mqttText = agentMessages()
      .map((m) => `${m.topic} ${m.raw.toString('utf8')}`)
      .join('\n');
    const places = { logs: agent.output(), audit: auditText, mqtt: mqttText, metrics: metricsText };
    for (const [place, text] of Object.entries(places)) {
      expect({ place, namesSilentKey: text.includes(site.silentSigner.keyId) }).toEqual({ place, namesSilentKey: false });
      expect({ place, echoes: echoesMoreThan(text, MARKER, MAX_ECHO) }).toEqual({ place, echoes: false });
    }
  });
});
