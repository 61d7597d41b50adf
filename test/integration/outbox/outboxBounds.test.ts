import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/clock.js';
import { AuditLog } from '../../../agent/audit/AuditLog.js';
import { listAuditFiles } from '../../../agent/audit/auditFiles.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { createAgentMetrics } from '../../../agent/observe/metrics.js';
import { createAlertDelivery, type AlertDelivery } from '../../../agent/outbox/createAlertDelivery.js';
import { mqttSchema } from '../../../pipelines/config/mqttSchema.js';
import { outboxSchema } from '../../../pipelines/config/outboxSchema.js';
import { makeAlert } from '../../helpers/alertFixture.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type MqttCollector } from '../../helpers/mqttCollector.js';

const SITE = 'bounds-site';
let dir: string;
let broker: MosquittoBroker;
let centre: MqttCollector;
let delivery: AlertDelivery | undefined;
let audit: AuditLog | undefined;
const logLines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'c5-bounds-'));
  await mkdir(join(dir, 'broker'));
  // The centre's persistent session survives the broker's restart, as it would at C5.
  broker = await startMosquitto({ config: `persistence true\npersistence_location ${join(dir, 'broker')}/` });
  centre = await collectMqtt({
    url: broker.url,
    topics: `c5/${SITE}/+/alerts`,
    clientId: 'c5-centre-bounds',
    clientOptions: { clean: false, properties: { sessionExpiryInterval: 600 } },
  });
}, 30_000);

afterAll(async () => {
  await delivery?.stop();
  await audit?.stop();
  await centre?.close();
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('outbox bounds with the broker down', () => {
  it('drops the oldest past maxMessages (counted, logged, audited) and delivers the newest once the broker is back', async () => {
    await broker.stop();
    const logger = createRootLogger({ level: 'info', destination: { write: (line: string) => void logLines.push(line) } });
    const metrics = createAgentMetrics({ siteId: SITE, version: 'test', defaultMetrics: false });
    audit = AuditLog.open({ dir: join(dir, 'audit'), fsyncIntervalMs: 50, clock: systemClock, logger });
    delivery = createAlertDelivery({
      config: {
        version: 1,
        site: { id: SITE },
        mqtt: mqttSchema.parse({ urls: [broker.url], reconnectMinSeconds: 0.2, reconnectMaxSeconds: 0.5 }),
        outbox: outboxSchema.parse({ path: join(dir, 'outbox.sqlite'), maxMessages: 5 }),
      },
      env: {},
      agentVersion: 'test',
      clock: systemClock,
      logger,
      metrics,
      audit,
    });
    delivery.start();

    const alerts = [];
    for (let n = 0; n < 12; n += 1) {
      const alert = { ...makeAlert({ siteId: SITE, cameraId: n % 2 === 0 ? 'cam-a' : 'cam-b' }), seq: delivery.nextSeq() };
      await delivery.sink.publish(alert);
      alerts.push(alert);
    }
    const value = async (name: string): Promise<string> =>
      (await metrics.registry.getSingleMetricAsString(name))
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
    expect(await value('c5_agent_outbox_dropped_total')).toBe('c5_agent_outbox_dropped_total{reason="max_messages"} 7');
    expect(await value('c5_agent_outbox_messages')).toBe('c5_agent_outbox_messages 5');
    const dropLog = logLines
      .map((line) => JSON.parse(line) as { msg: string; dropped?: unknown })
      .find((entry) => entry.msg.startsWith('outbox over its bounds'));
    expect(dropLog?.dropped).toBeDefined();

    await broker.start();
    const newest = alerts.slice(7);
    for (const alert of newest) await centre.waitFor((m) => (m.payload as { id?: string }).id === alert.id, 10_000);
    const received = centre.messages.map((m) => (m.payload as { id: string }).id);
    // Only the five newest, oldest first; the dropped seven never arrive.
    expect(received).toEqual(newest.map((alert) => alert.id));
    await delivery.stop();
    expect(await value('c5_agent_outbox_messages')).toBe('c5_agent_outbox_messages 0');

    await audit.flush();
    const [file] = listAuditFiles(join(dir, 'audit'));
    const records = readFileSync(join(dir, 'audit', file!), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; reason?: string; alerts?: { id: string }[] });
    const dropped = records.filter((record) => record.type === 'outbox_dropped').flatMap((record) => record.alerts ?? []);
    expect(dropped.map((alert) => alert.id)).toEqual(alerts.slice(0, 7).map((alert) => alert.id));
  }, 40_000);
});
