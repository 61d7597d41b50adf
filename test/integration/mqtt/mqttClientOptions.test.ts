import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/clock.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { maximumPacketSize } from '../../../agent/mqtt/mqttClientOptions.js';
import { MqttLink } from '../../../agent/mqtt/MqttLink.js';
import { configPushTopic } from '../../../agent/mqtt/topics.js';
import { mqttSchema } from '../../../pipelines/config/siteConfig.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type MqttCollector } from '../../helpers/mqttCollector.js';
import { waitFor } from '../../helpers/recordingListener.js';

/**
 * The agent's CONNECT advertises an MQTT 5 Maximum Packet Size from the largest message it takes,
 * so the broker itself keeps oversized messages away from it (issue 12: a 100 MB message on a
 * subscribed topic took the agent from 168 to 410 MB before it was refused).
 */

const MAX_PAYLOAD = 64 * 1024;
const TOPIC = configPushTopic('c5', 'site-max');
let broker: MosquittoBroker;
let publisher: MqttCollector;
let link: MqttLink;
const received: Buffer[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  link = new MqttLink({
    config: mqttSchema.parse({ urls: [broker.url] }),
    siteId: 'site-max',
    agentVersion: '0.0.0-test',
    configVersion: 1,
    clock: systemClock,
    logger: createRootLogger({ level: 'silent' }),
    maxIncomingPayloadBytes: MAX_PAYLOAD,
  });
  link.subscribe(TOPIC, 1, (payload) => received.push(payload));
  link.start();
  await link.whenConnected(10_000);
  publisher = await collectMqtt({ url: broker.url, topics: ['c5/site-max/unused'] });
});

afterAll(async () => {
  await link?.stop();
  await publisher?.close();
  await broker?.stop();
});

describe('MQTT 5 maximumPacketSize', () => {
  it('keeps a message over the limit from the handler and lets one under it through, on a live connection', async () => {
    const limit = maximumPacketSize(MAX_PAYLOAD);
    const over = Buffer.alloc(2 * limit, 0x41);
    const atMost = Buffer.alloc(MAX_PAYLOAD, 0x42);
    // One publisher, one topic, one QoS: the broker forwards in order, so once `last` is here the
    // oversized one before it would have been too.
    await publisher.client.publishAsync(TOPIC, over, { qos: 1 });
    await publisher.client.publishAsync(TOPIC, atMost, { qos: 1 });
    await publisher.client.publishAsync(TOPIC, 'last', { qos: 1 });
    await waitFor('the last message', () => received.some((payload) => payload.toString() === 'last'), 10_000);
    expect(received.map((payload) => payload.length)).toEqual([MAX_PAYLOAD, 4]);
    expect(link.connected).toBe(true);
  });

  it('keeps a retained message over the limit away when the subscription is made', async () => {
    const retainedTopic = configPushTopic('c5', 'site-max-retained');
    await publisher.client.publishAsync(retainedTopic, Buffer.alloc(MAX_PAYLOAD + 16 * 1024, 0x43), { qos: 1, retain: true });
    const seen: Buffer[] = [];
    link.subscribe(retainedTopic, 1, (payload) => seen.push(payload));
    // The SUBACK is not exposed: send a small message until one arrives, so the subscription (and
    // with it the retained message, which comes first) is known to be in place.
    await waitFor(
      'a small message through the new subscription',
      () => {
        if (seen.length === 0) void publisher.client.publishAsync(retainedTopic, 'small', { qos: 1, retain: false });
        return seen.length > 0;
      },
      10_000,
      200,
    );
    expect(new Set(seen.map((payload) => payload.toString()))).toEqual(new Set(['small']));
  });
});
