import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt } from '../../helpers/mqttCollector.js';

// The capture helper's own contract check: it must fail a test on a message the agent could
// have sent that config/asyncapi.yaml refuses, and leave alone what the agent never sends.
describe('collectMqtt checks captured messages against config/asyncapi.yaml', () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  const SITE_STATUS = { state: 'online', siteId: 'site-a', version: '0.1.0', configVersion: 1, startedAt: '2026-11-29T02:00:00.000Z' };

  it('passes a valid status, ignores forged pushes and foreign topics, and fails on a drifted status naming topic and field', async () => {
    const collector = await collectMqtt({ url: broker.url, topics: ['c5/#', 'other/#'] });
    const publisher = await collectMqtt({ url: broker.url, topics: ['unused/none'] });
    try {
      await publisher.client.publishAsync('c5/site-a/status', JSON.stringify(SITE_STATUS), { qos: 1 });
      await publisher.client.publishAsync('c5/site-a/config/push', 'forged, not an envelope', { qos: 1 });
      await publisher.client.publishAsync('other/thing', 'plain text', { qos: 1 });
      await collector.waitFor((m) => m.topic === 'other/thing', 5_000);
      expect(collector.contractViolations).toEqual([]);

      await publisher.client.publishAsync('c5/site-a/cam-1/status', JSON.stringify({ cameraId: 'cam-1', state: 'online', since: 1764381600000 }), { qos: 1 });
      await expect(collector.waitFor((m) => m.topic === 'never/arrives', 5_000)).rejects.toThrow(
        /c5\/site-a\/cam-1\/status: violates the contract's cameraStatus payload: \/since must be string/,
      );
      expect(collector.contractViolations).toHaveLength(1);
    } finally {
      await publisher.close();
      await expect(collector.close()).rejects.toThrow(/MQTT contract \(config\/asyncapi.yaml\) violated/);
    }
  });

  it('can be turned off for a test that publishes its own payloads on the agent topics', async () => {
    const collector = await collectMqtt({ url: broker.url, topics: ['c5/#'], contract: false });
    try {
      await collector.client.publishAsync('c5/site-b/stats', '{"not":"stats"}', { qos: 1 });
      await collector.waitFor((m) => m.topic === 'c5/site-b/stats', 5_000);
      expect(collector.contractViolations).toEqual([]);
    } finally {
      await collector.close();
    }
  });
});
