import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../../agent/clock.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { createAgentMetrics } from '../../../../agent/observe/metrics.js';
import { createAlertDelivery, type AlertDelivery, type AlertDeliveryDeps } from '../../../../agent/outbox/createAlertDelivery.js';
import { buildAlert, type Alert } from '../../../../pipelines/alerts.js';
import { mqttSchema } from '../../../../pipelines/config/mqttSchema.js';
import { outboxSchema } from '../../../../pipelines/config/outboxSchema.js';
import { ConfigError, PublishError } from '../../../../pipelines/errors.js';
import { freePort } from '../../../helpers/freePort.js';
import { startMosquitto, type MosquittoBroker } from '../../../helpers/mosquitto.js';
import { collectMqtt, type MqttCollector } from '../../../helpers/mqttCollector.js';
import { outboxRows } from '../../../helpers/outboxFile.js';
import { waitFor } from '../../../helpers/recordingListener.js';
import { readRetained } from '../../../helpers/retainedMessage.js';

/**
 * The publish side as the agent wires it (outbox file, MQTT link, delivery loop), against a real
 * Mosquitto. The clock is the system clock: the broker, the sockets and SQLite run on real time.
 */

const SITE = 'site-delivery';
let broker: MosquittoBroker;
let collector: MqttCollector;
const open: AlertDelivery[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  collector = await collectMqtt({ url: broker.url, topics: [`c5/${SITE}/#`] });
}, 30_000);

afterEach(async () => {
  await Promise.all(open.splice(0).map((delivery) => delivery.stop()));
  collector.clear();
});

afterAll(async () => {
  await collector?.close();
  await broker?.stop();
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'c5-delivery-'));
}

function deliveryFor(options: { url?: string; outbox?: Record<string, unknown>; env?: Record<string, string>; mqtt?: Record<string, unknown> }): AlertDelivery {
  const config: AlertDeliveryDeps['config'] = {
    version: 4,
    site: { id: SITE },
    mqtt: mqttSchema.parse({
      urls: [options.url ?? broker.url],
      reconnectMinSeconds: 0.1,
      reconnectMaxSeconds: 0.5,
      messageExpirySeconds: 600,
      ...options.mqtt,
    }),
    outbox: outboxSchema.parse(options.outbox ?? {}),
  };
  const delivery = createAlertDelivery({
    config,
    env: options.env ?? {},
    agentVersion: 'test',
    clock: systemClock,
    logger: createRootLogger({ level: 'silent' }),
    metrics: createAgentMetrics({ siteId: SITE, version: 'test', defaultMetrics: false }),
  });
  open.push(delivery);
  return delivery;
}

/** A schema-valid alert numbered by the delivery's own seq, as the pipeline makes them. */
function alertFrom(delivery: AlertDelivery, cameraId = 'gate'): Alert {
  const now = Date.now();
  return buildAlert(
    { siteId: SITE, cameraId, model: { name: 'yolox-nano', sha256: 'a'.repeat(64) }, config: { version: 4, sha256: 'b'.repeat(64) } },
    {
      id: uuidv7(),
      seq: delivery.nextSeq(),
      ruleId: 'people',
      type: 'object_present',
      state: 'start',
      severity: 'medium',
      track: {
        id: 9,
        label: 'person',
        classId: 0,
        box: [0.1, 0.2, 0.3, 0.6],
        score: 0.9,
        scores: [0.9],
        firstSeen: now,
        lastSeen: now,
        anchors: [],
        misses: 0,
      },
      frameTime: now,
      now,
    },
  );
}

const alertsReceived = (): { topic: string; alert: Alert; qos: number; expiry: number | undefined }[] =>
  collector.messages
    .filter((m) => m.topic.endsWith('/alerts'))
    .map((m) => ({ topic: m.topic, alert: m.payload as Alert, qos: m.qos, expiry: m.properties?.messageExpiryInterval }));

/** A loopback port where nothing listens: a broker that is down. */
async function deadBrokerUrl(): Promise<string> {
  return `mqtt://127.0.0.1:${await freePort()}`;
}

describe('createAlertDelivery', () => {
  it('stores alerts in the configured outbox file and delivers them QoS 1 on {prefix}/{site}/{camera}/alerts, then empties the file', async () => {
    const path = join(tempDir(), 'outbox.sqlite');
    const delivery = deliveryFor({ outbox: { path } });
    delivery.start();
    const sent = [alertFrom(delivery, 'gate'), alertFrom(delivery, 'lobby'), alertFrom(delivery, 'gate')];
    expect(sent.map((a) => a.seq)).toEqual([1, 2, 3]);
    await Promise.all(sent.map((alert) => delivery.sink.publish(alert)));
    expect(existsSync(path)).toBe(true);

    await waitFor('three alerts at the collector', () => alertsReceived().length >= 3, 10_000);
    expect(alertsReceived()).toEqual(sent.map((alert) => ({ topic: `c5/${SITE}/${alert.cameraId}/alerts`, alert, qos: 1, expiry: 600 })));
    await waitFor('the outbox file emptied by the PUBACKs', () => outboxRows(path) === 0, 10_000);
  }, 20_000);

  it('keeps what the broker did not take in the file across a shutdown; the next delivery on it continues seq and sends it', async () => {
    const path = join(tempDir(), 'outbox.sqlite');
    const offline = deliveryFor({ url: await deadBrokerUrl(), outbox: { path } });
    offline.start();
    const waiting = [alertFrom(offline), alertFrom(offline)];
    await Promise.all(waiting.map((alert) => offline.sink.publish(alert)));
    await offline.stop();
    expect(outboxRows(path)).toBe(2);
    expect(alertsReceived()).toEqual([]);

    const next = deliveryFor({ outbox: { path } });
    expect(next.nextSeq()).toBe(3);
    next.start();
    await waitFor('the two alerts left in the outbox', () => alertsReceived().length >= 2, 10_000);
    expect(alertsReceived().map((m) => m.alert)).toEqual(waiting);
  }, 20_000);

  it('takes the outbox path from C5_OUTBOX_PATH when the config names none', async () => {
    const path = join(tempDir(), 'from-env.sqlite');
    const delivery = deliveryFor({ url: await deadBrokerUrl(), env: { C5_OUTBOX_PATH: path } });
    await delivery.sink.publish(alertFrom(delivery));
    await delivery.stop();
    expect(outboxRows(path)).toBe(1);
  }, 15_000);

  it('does not throw on an outbox file it cannot open: alerts go through memory and the site says degraded (outbox_unwritable)', async () => {
    const notADirectory = join(tempDir(), 'plain-file');
    writeFileSync(notADirectory, 'x');
    const delivery = deliveryFor({ outbox: { path: join(notADirectory, 'outbox.sqlite') } });
    delivery.start();
    const alert = alertFrom(delivery);
    await delivery.sink.publish(alert);
    await waitFor('the alert, delivered from memory', () => alertsReceived().length >= 1, 10_000);
    expect(alertsReceived()[0]!.alert).toEqual(alert);
    const status = await readRetained(broker.url, `c5/${SITE}/status`);
    expect(status.map((m) => m.payload)).toEqual([expect.objectContaining({ state: 'degraded', reasons: ['outbox_unwritable'] })]);
  }, 20_000);

  it('throws a ConfigError naming the field when a TLS file cannot be read', () => {
    const missing = join(tempDir(), 'no-such-ca.pem');
    let thrown: unknown;
    try {
      deliveryFor({ url: 'mqtts://127.0.0.1:8883', mqtt: { tls: { ca: missing } } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown).toMatchObject({ code: 'tls_file_unreadable' });
    expect((thrown as Error).message).toContain(`mqtt.tls.ca: cannot read ${missing}`);
  });

  it('shutdown is idempotent, refuses later alerts, and leaves the site retained offline (shutdown)', async () => {
    const delivery = deliveryFor({ outbox: { path: join(tempDir(), 'outbox.sqlite') } });
    delivery.start();
    await collector.waitFor((m) => m.topic === `c5/${SITE}/status` && (m.payload as { state: string }).state === 'online', 10_000);
    const first = delivery.stop();
    expect(delivery.stop()).toBe(first);
    await first;
    const late = delivery.sink.publish(alertFrom(delivery));
    await expect(late).rejects.toBeInstanceOf(PublishError);
    await expect(late).rejects.toMatchObject({ code: 'sink_closed' });
    const status = await readRetained(broker.url, `c5/${SITE}/status`);
    expect(status.map((m) => m.payload)).toEqual([expect.objectContaining({ state: 'offline', reason: 'shutdown', siteId: SITE, configVersion: 4 })]);
  }, 20_000);
});
