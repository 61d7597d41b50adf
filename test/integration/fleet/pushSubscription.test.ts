import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/clock.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { MqttLink } from '../../../agent/mqtt/MqttLink.js';
import { configPushTopic } from '../../../agent/mqtt/topics.js';
import { mqttSchema } from '../../../pipelines/config/siteConfig.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type MqttCollector } from '../../helpers/mqttCollector.js';
import { waitFor } from '../../helpers/recordingListener.js';

/** The push subscription outlives the broker: a restarted Mosquitto forgets it, the link makes it again. */

const TOPIC = configPushTopic('c5', 'site-sub');
let broker: MosquittoBroker;
let publisher: MqttCollector;
let link: MqttLink;
const received: string[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  link = new MqttLink({
    config: mqttSchema.parse({ urls: [broker.url], reconnectMinSeconds: 0.1, reconnectMaxSeconds: 0.5 }),
    siteId: 'site-sub',
    agentVersion: '0.0.0-test',
    configVersion: 1,
    clock: systemClock,
    logger: createRootLogger({ level: 'silent' }),
  });
  link.subscribe(TOPIC, 1, (payload) => received.push(payload.toString()));
  link.start();
  await link.whenConnected(10_000);
});

afterAll(async () => {
  await link?.stop();
  await publisher?.close();
  await broker?.stop();
});

describe('MqttLink.subscribe', () => {
  it('delivers the retained push, then renews the subscription after the broker restarts', async () => {
    publisher = await collectMqtt({ url: broker.url, topics: ['c5/site-sub/unused'] });
    await publisher.client.publishAsync(TOPIC, 'envelope-1', { qos: 1, retain: true });
    await waitFor('the first push', () => received.includes('envelope-1'), 10_000);

    await broker.stop();
    await waitFor('the link to notice', () => !link.connected, 10_000);
    await broker.start();
    await link.whenConnected(15_000);
    // The restarted broker kept nothing (no persistence): only a new SUBSCRIBE brings this one in.
    await waitFor('the publisher to reconnect', () => publisher.client.connected, 10_000);
    await publisher.client.publishAsync(TOPIC, 'envelope-2', { qos: 1, retain: true });
    await waitFor('the push after the restart', () => received.includes('envelope-2'), 10_000);
    expect(received).toEqual(['envelope-1', 'envelope-2']);
  }, 60_000);
});
