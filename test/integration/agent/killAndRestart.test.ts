import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../agent/audit/auditRecord.js';
import type { Alert } from '../../../pipelines/alerts.js';
import { startAgentProcess, type AgentProcess } from '../../helpers/agentProcess.js';
import { createAgentSite, type AgentSite } from '../../helpers/agentSite.js';
import { readRecords } from '../../helpers/auditLog.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type MqttCollector } from '../../helpers/mqttCollector.js';
import { waitFor } from '../../helpers/recordingListener.js';
import { startRtspServer, type RtspServer } from '../../helpers/rtspServer.js';
import { runCli } from '../../helpers/runCli.js';

/**
 * Issue 13: SIGKILL the real `c5-agent run`, with an RTSP camera, while alerts flow, and start it
 * again on the same outbox and audit folder. The broker is stopped before the kill so that the
 * outbox holds alerts nobody has received yet. After the restart: every alert the killed agent
 * stored (its audit records, its outbox rows) reaches the collector, `seq` goes on rising,
 * `audit verify` passes, and every delivered alert's `audit {seq, hash}` names a record in the log.
 */

let broker: MosquittoBroker;
let rtsp: RtspServer;
let site: AgentSite;
const collectors: MqttCollector[] = [];
const agents: AgentProcess[] = [];

const outboxPath = (): string => join(site.dir, 'outbox.sqlite');

/** Alerts received by any collector, duplicates included (delivery is at-least-once). */
function delivered(): Alert[] {
  return collectors.flatMap((c) => c.messages.filter((m) => m.topic.endsWith('/alerts')).map((m) => m.payload as Alert));
}

/** Alerts in the outbox file right now, read through a second connection. */
function outboxAlerts(): Alert[] {
  const db = new Database(outboxPath(), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT payload FROM outbox ORDER BY seq').all() as { payload: string }[]).map((row) => JSON.parse(row.payload) as Alert);
  } finally {
    db.close();
  }
}

function alertRecords(): (AuditRecord & { alert: Omit<Alert, 'audit'> })[] {
  return readRecords(site.auditDir).filter((r) => r.type === 'alert') as (AuditRecord & { alert: Omit<Alert, 'audit'> })[];
}

async function collect(): Promise<MqttCollector> {
  const collector = await collectMqtt({ url: broker.url, topics: [`c5/${site.siteId}/#`] });
  collectors.push(collector);
  return collector;
}

beforeAll(async () => {
  broker = await startMosquitto();
  rtsp = await startRtspServer();
  site = createAgentSite('kill-site', broker.url);
  site.write({ version: 1, urls: { a: rtsp.url }, extra: 'audit: { fsyncIntervalMs: 100 }' });
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.kill()));
  await Promise.all(collectors.map((collector) => collector.close()));
  await rtsp?.stop();
  await broker?.stop();
});

describe('the agent killed with SIGKILL while alerts flow, then started again', () => {
  it('loses no stored alert, keeps seq rising, and leaves an audit log that verifies and backs every alert', async () => {
    const first = await collect();
    const killed = await startAgentProcess(site.configPath, { env: site.env });
    agents.push(killed);
    await waitFor('alerts delivered by the first agent', () => delivered().length >= 2, 30_000, 100);

    // Broker down: what the agent makes from now on can only wait in its outbox. The collector
    // stays subscribed until the broker is gone: an alert the broker acknowledged in between would
    // otherwise leave the outbox with nobody to receive it, and look lost.
    await broker.stop();
    await first.close();
    await waitFor('alerts waiting in the outbox', () => outboxAlerts().length >= 2, 30_000, 200);
    await killed.kill();
    expect(killed.cli.child.signalCode).toBe('SIGKILL');

    const waiting = outboxAlerts();
    const recordedBeforeKill = alertRecords();
    const storedIds = new Set([...waiting.map((a) => a.id), ...recordedBeforeKill.map((r) => r.alert.id)]);
    const highestSeqBeforeKill = Math.max(...waiting.map((a) => a.seq), ...recordedBeforeKill.map((r) => r.alert.seq));
    console.log(
      `kill -9: ${delivered().length} alerts delivered before, ${waiting.length} in the outbox, ${recordedBeforeKill.length} alert records, highest seq ${highestSeqBeforeKill}`,
    );

    await broker.start();
    await collect();
    const restarted = await startAgentProcess(site.configPath, { env: site.env });
    agents.push(restarted);
    const missing = (): string[] => {
      const got = new Set(delivered().map((a) => a.id));
      return [...storedIds].filter((id) => !got.has(id));
    };
    await waitFor('every alert stored before the kill, delivered', () => missing().length === 0, 30_000, 100).catch((error: unknown) => {
      throw new Error(`${String(error)}; still missing: ${missing().join(', ')}`);
    });
    await waitFor('a new alert from the restarted agent', () => delivered().some((a) => !storedIds.has(a.id) && a.seq > highestSeqBeforeKill), 30_000, 100);
    expect((await restarted.terminate()).code).toBe(0);

    // seq: one alert per seq across both runs (a redelivery repeats its id), new ones above the old
    const bySeq = new Map<number, string>();
    for (const alert of delivered()) {
      expect(bySeq.get(alert.seq) ?? alert.id).toBe(alert.id);
      bySeq.set(alert.seq, alert.id);
    }
    const newAlerts = delivered().filter((a) => !storedIds.has(a.id) && !recordedBeforeKill.some((r) => r.alert.id === a.id));
    expect(newAlerts.length).toBeGreaterThan(0);
    expect(Math.min(...newAlerts.map((a) => a.seq))).toBeGreaterThan(highestSeqBeforeKill);

    const verify = await runCli(['audit', 'verify', site.auditDir]);
    expect(verify.stdout).toMatch(/^OK: /);
    expect(verify.code).toBe(0);

    // every alert the centre holds names its own audit record, with that record's hash
    const records = new Map(readRecords(site.auditDir).map((r) => [r.seq, r]));
    for (const alert of delivered()) {
      expect(alert.audit, `alert seq ${alert.seq} carries its audit reference`).toBeDefined();
      const record = records.get(alert.audit!.seq) as (AuditRecord & { alert?: { id: string } }) | undefined;
      expect(record, `audit record ${alert.audit!.seq} of alert seq ${alert.seq}`).toBeDefined();
      expect(record!.hash).toBe(alert.audit!.hash);
      expect(record!.type).toBe('alert');
      expect(record!.alert?.id).toBe(alert.id);
    }
  }, 120_000);
});
