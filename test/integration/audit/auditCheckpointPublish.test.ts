import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/clock.js';
import { parseSiteConfigText } from '../../../agent/config/loadSiteConfig.js';
import { checkAuditCheckpointSignature } from '../../../agent/audit/auditCheckpointSignature.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { readCheckpointsFile } from '../../../agent/audit/readCheckpointsFile.js';
import { verifyAgainstCheckpoints } from '../../../agent/audit/verifyCheckpoints.js';
import { startAgent, type RunningAgent } from '../../../agent/startAgent.js';
import { auditCheckpointSchema, type AuditCheckpoint } from '../../../pipelines/auditCheckpoint.js';
import { statsMessageSchema } from '../../../pipelines/statsMessage.js';
import { readRecords, tempAuditDir } from '../../helpers/auditLog.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type CollectedMessage, type MqttCollector } from '../../helpers/mqttCollector.js';
import { clipPath, sharedModelsDir } from '../../helpers/paths.js';

/** A running agent anchors its audit log: signed checkpoints, retained, on their own topic and in stats. */

const SITE = 'anchor-site';
const CHECKPOINT_TOPIC = `c5/${SITE}/audit/checkpoint`;

let broker: MosquittoBroker;
let collector: MqttCollector | undefined;
let running: RunningAgent | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => {
  await running?.stop();
  await collector?.close();
  await broker?.stop();
});

const checkpointOf = (message: CollectedMessage): AuditCheckpoint => auditCheckpointSchema.parse(message.payload);

describe('audit checkpoints from a running agent', () => {
  it('publishes the signed head retained on audit/checkpoint at start, as it moves and at stop, and in stats', async () => {
    const work = tempAuditDir();
    const auditDir = join(work, 'audit');
    const env = { ...process.env, C5_MODELS_DIR: sharedModelsDir };
    const loaded = parseSiteConfigText(
      `version: 3\nsite: {id: ${SITE}}\nmqtt: {urls: ["${broker.url}"]}\nmetrics: {port: 0}\nstats: {intervalSeconds: 1}\n` +
        `audit: {dir: "${auditDir}", fsyncIntervalMs: 100, checkpointIntervalSeconds: 1}\n` +
        `cameras:\n  - id: plaza\n    source: {url: "${clipPath}", loop: true}\n` +
        `    rules: [{id: people, type: object_present, labels: [person], minScore: 0.5}]\n`,
      'anchor.yaml',
      env,
    );
    collector = await collectMqtt({ url: broker.url, topics: [CHECKPOINT_TOPIC, `c5/${SITE}/stats`, `c5/${SITE}/plaza/alerts`] });
    running = await startAgent({ loaded, env, clock: systemClock, logger: createRootLogger({ level: 'silent' }), version: '0.0.0-test' });

    const first = await collector.waitFor((m) => m.topic === CHECKPOINT_TOPIC, 20_000);
    expect(first.retain).toBe(true);
    expect(first.qos).toBe(1);
    expect(first.properties?.userProperties).toEqual({ schema: 'c5.audit-checkpoint.v1' });
    const firstCheckpoint = checkpointOf(first);
    expect(firstCheckpoint).toMatchObject({ siteId: SITE });
    expect(checkAuditCheckpointSignature(firstCheckpoint).ok).toBe(true);

    // alerts are audited, so the head moves and a later interval signs it again
    await collector.waitFor((m) => m.topic === `c5/${SITE}/plaza/alerts`, 30_000);
    await collector.waitFor((m) => m.topic === CHECKPOINT_TOPIC && checkpointOf(m).seq > firstCheckpoint.seq, 20_000);
    const stats = await collector.waitFor((m) => m.topic === `c5/${SITE}/stats` && statsMessageSchema.parse(m.payload).auditCheckpoint !== undefined, 20_000);
    expect(checkAuditCheckpointSignature(statsMessageSchema.parse(stats.payload).auditCheckpoint!).ok).toBe(true);

    const agent = running;
    running = undefined;
    await agent.stop();
    const live = collector.messages.filter((m) => m.topic === CHECKPOINT_TOPIC).map(checkpointOf);
    expect(new Set(live.map((c) => c.keyId)).size).toBe(1);
    // never the same head twice in a row: only a moved head is signed again
    for (let i = 1; i < live.length; i += 1) expect(live[i]!.seq).toBeGreaterThan(live[i - 1]!.seq);

    // A centre that subscribes after the agent stopped still gets the newest one, retained.
    const late = await collectMqtt({ url: broker.url, topics: [CHECKPOINT_TOPIC] });
    try {
      const retained = await late.waitFor((m) => m.topic === CHECKPOINT_TOPIC, 5_000);
      expect(retained.retain).toBe(true);
      expect(checkpointOf(retained)).toEqual(live[live.length - 1]);
    } finally {
      await late.close();
    }

    // Each names a record the log on disk has, with that hash; the log verifies against all of them.
    const records = readRecords(auditDir);
    for (const checkpoint of live) {
      expect(records.find((r) => r.seq === checkpoint.seq)?.hash).toBe(checkpoint.hash);
    }
    const centre = join(work, 'centre.jsonl');
    writeFileSync(centre, live.map((c) => `${JSON.stringify(c)}\n`).join(''));
    const verified = verifyAgainstCheckpoints(auditDir, readCheckpointsFile(centre), { source: centre });
    expect(verified).toMatchObject({ ok: true, anchor: { checkpoints: live.length, newest: { seq: live[live.length - 1]!.seq } } });

    // The key sits beside the audit folder, owner-only, and nothing of it is in the folder.
    const keyFile = `${auditDir}-checkpoint-key.pem`;
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    for (const name of readdirSync(auditDir)) expect(name).toMatch(/^audit-\d{4}-\d\d-\d\d\.jsonl$|^audit\.head\.json$/);
  }, 90_000);
});
