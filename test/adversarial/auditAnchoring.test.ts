import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE } from '../../agent/audit/auditFiles.js';
import { GENESIS, sealRecord, type AuditEntry, type AuditRecord, type AuditRef } from '../../agent/audit/auditRecord.js';
import type { AgentProcess } from '../helpers/agentProcess.js';
import type { AgentSite } from '../helpers/agentSite.js';
import { auditFiles } from '../helpers/auditLog.js';
import type { MosquittoBroker } from '../helpers/mosquitto.js';
import type { CollectedMessage, MqttCollector } from '../helpers/mqttCollector.js';
import { startSiteUnderTest, stopSiteUnderTest } from '../helpers/siteUnderTest.js';
import { readRetained } from '../helpers/retainedMessage.js';
import { runCli } from '../helpers/runCli.js';

/**
 * Issue 12, case 8: the audit chain anchored outside the box. A running agent publishes signed
 * checkpoints of its log's head (retained on `audit/checkpoint`, and in the stats message); once
 * it has stopped, whoever can write the log rewrites one record and recomputes every hash after
 * it, as the attacker did. Plain `audit verify` still passes, by construction; with the
 * checkpoints the centre collected from the broker, `audit verify --checkpoints` fails.
 */

interface Checkpoint {
  readonly seq: number;
  readonly hash: string;
}

let broker: MosquittoBroker;
let collector: MqttCollector;
let site: AgentSite;
let agent: AgentProcess;

const checkpoints = (): CollectedMessage[] => collector.messages.filter((m) => m.topic === site.topics.checkpoint);

/** The record the attacker changes: an early one, so every later hash has to be recomputed. */
const EDITED_SEQ = 2;

/**
 * What an attacker with write access to the folder does: changes one record and seals it and
 * every later record again (same times, same files), then moves the local head file along.
 */
function rewriteHistory(auditDir: string, edit: (entry: AuditEntry) => AuditEntry): void {
  let previous: AuditRef = GENESIS;
  let head: (AuditRef & { file: string }) | undefined;
  for (const file of auditFiles(auditDir)) {
    const path = join(auditDir, file);
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0);
    const rewritten = lines.map((line) => {
      const { seq, time, prevHash: _prevHash, hash: _hash, ...entry } = JSON.parse(line) as AuditRecord;
      const sealed = sealRecord(seq === EDITED_SEQ ? edit(entry) : entry, previous, Date.parse(time));
      previous = { seq: sealed.record.seq, hash: sealed.record.hash };
      head = { ...previous, file };
      return sealed.line;
    });
    writeFileSync(path, rewritten.join(''));
  }
  if (head && existsSync(join(auditDir, CHECKPOINT_FILE))) writeFileSync(join(auditDir, CHECKPOINT_FILE), `${JSON.stringify(head)}\n`);
}

beforeAll(async () => {
  ({ broker, site, collector, agent } = await startSiteUnderTest('anchor-site', {
    version: 1,
    extra: 'audit: { fsyncIntervalMs: 100, checkpointIntervalSeconds: 1 }\nstats: { intervalSeconds: 1 }',
  }));
}, 90_000);

afterAll(() => stopSiteUnderTest({ agent, collector, broker }));

describe('audit checkpoints held by the centre', () => {
  let checkpointsFile: string;

  it('are published retained, QoS 1, on audit/checkpoint and carried in the stats message', async () => {
    await collector.waitFor((m) => m.topic === site.topics.checkpoint, 20_000);
    const stats = await collector.waitFor(
      (m) => m.topic === site.topics.stats && (m.payload as { auditCheckpoint?: unknown }).auditCheckpoint !== undefined,
      20_000,
    );
    // let the head move and be checkpointed again (alerts, decisions)
    const first = (checkpoints()[0]!.payload as Checkpoint).seq;
    await collector.waitFor((m) => m.topic === site.topics.checkpoint && (m.payload as Checkpoint).seq > first, 20_000);
    expect((await agent.terminate()).code).toBe(0);

    const retained = await readRetained(broker.url, site.topics.checkpoint);
    expect(retained).toHaveLength(1);
    expect(retained[0]!.qos).toBe(1);
    const newest = checkpoints().at(-1)!;
    expect(retained[0]!.raw.equals(newest.raw)).toBe(true);
    expect(checkpoints().every((m) => m.qos === 1)).toBe(true);
    expect(stats.payload).toMatchObject({ auditCheckpoint: { siteId: site.siteId, seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    console.log(`audit anchoring: ${checkpoints().length} checkpoints collected, newest seq ${(newest.payload as Checkpoint).seq}`);

    // the centre's copy: what it received on the topic, one JSON document per line
    checkpointsFile = join(site.dir, 'centre-checkpoints.jsonl');
    writeFileSync(
      checkpointsFile,
      checkpoints()
        .map((m) => `${m.raw.toString('utf8')}\n`)
        .join(''),
    );
    const untouched = await runCli(['audit', 'verify', site.auditDir, '--checkpoints', checkpointsFile]);
    expect(untouched.stdout).toMatch(/^OK: /);
    expect(untouched.code).toBe(0);
  }, 90_000);

  it('catch a log rewritten with recomputed hashes, which plain verify cannot', async () => {
    rewriteHistory(site.auditDir, (entry) => ({ ...entry, rewritten: 'a quieter history' }));
    const plain = await runCli(['audit', 'verify', site.auditDir]);
    expect(plain.stdout).toMatch(/^OK: /);
    expect(plain.code).toBe(0);

    const anchored = await runCli(['audit', 'verify', site.auditDir, '--checkpoints', checkpointsFile]);
    console.log(`audit verify --checkpoints on the rewritten log: exit ${anchored.code}: ${anchored.stdout.trim()}`);
    expect(anchored.code).toBe(3);
    expect(anchored.stdout).toMatch(/^BROKEN: /);
  }, 30_000);
});
