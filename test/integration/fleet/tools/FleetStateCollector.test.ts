import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FleetStateCollector, pushedVersion } from '../../../../agent/fleet/tools/FleetStateCollector.js';
import { startMosquitto, type MosquittoBroker } from '../../../helpers/mosquitto.js';

/**
 * The fleet tools' view of the sites, read from a real Mosquitto with its default limits
 * (`max_queued_messages 1000`, `max_inflight_messages 20`): the whole fleet's retained reports
 * arrive in one burst, and every payload is from outside.
 */

const SITES = 2_500;
const PREFIX = 'c5';
const TIME = '2026-12-05T08:00:00.000Z';

let broker: MosquittoBroker;
const clients: MqttClient[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => {
  await broker?.stop();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync()));
});

async function client(): Promise<MqttClient> {
  const connected = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5_000 });
  clients.push(connected);
  return connected;
}

const siteId = (n: number): string => `site-${String(n).padStart(5, '0')}`;

function configState(site: string, version: number): string {
  const sha = 'a'.repeat(64);
  return JSON.stringify({
    siteId: site,
    status: 'applied',
    version,
    sha256: sha,
    keyId: 'centre-1',
    origin: 'mqtt',
    running: { version, sha256: sha },
    time: TIME,
  });
}

function siteStatus(site: string): string {
  return JSON.stringify({ state: 'online', siteId: site, version: '0.1.0', configVersion: 3, startedAt: TIME });
}

/** Counts what a plain subscriber receives until `quietMs` pass without a message (bounded by maxMs). */
async function countDelivered(subscriber: MqttClient, filter: string, qos: 0 | 1, quietMs: number, maxMs: number): Promise<number> {
  let received = 0;
  let last = Date.now();
  subscriber.on('message', () => {
    received += 1;
    last = Date.now();
  });
  await subscriber.subscribeAsync(filter, { qos });
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline && Date.now() - last < quietMs) await new Promise((resolve) => setTimeout(resolve, 50));
  return received;
}

/** Waits until `ready()` holds, bounded by maxMs; returns whether it did. */
async function until(ready: () => boolean, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (!ready() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return ready();
}

describe('FleetStateCollector on a default Mosquitto', () => {
  it(`reads all ${SITES} sites' retained reports, which a QoS 1 subscription cannot`, async () => {
    const publisher = await client();
    const published: Promise<unknown>[] = [];
    for (let n = 1; n <= SITES; n++) {
      const site = siteId(n);
      published.push(publisher.publishAsync(`${PREFIX}/${site}/config/state`, configState(site, 7), { qos: 1, retain: true }));
      published.push(publisher.publishAsync(`${PREFIX}/${site}/status`, siteStatus(site), { qos: 1, retain: true }));
    }
    await Promise.all(published);

    // The broker's limit is real here: a QoS 1 reader of the same retained reports is cut short
    // at about max_inflight + max_queued (20 + 1000).
    const qos1 = await countDelivered(await client(), `${PREFIX}/+/config/state`, 1, 1_000, 20_000);
    expect(qos1).toBeLessThan(SITES);

    const collector = new FleetStateCollector(await client(), { prefix: PREFIX });
    await collector.start();
    await collector.settle(1_000, 30_000);
    collector.stop();
    const views = [...collector.sites.values()];
    expect(views).toHaveLength(SITES);
    expect(views.filter((view) => view.configState?.version === 7 && view.status?.state === 'online')).toHaveLength(SITES);
    expect(collector.ignored).toBe(0);

    // refresh() reads the retained store again: every report is delivered once more.
    let changes = 0;
    const collector2 = new FleetStateCollector(await client(), { prefix: PREFIX });
    await collector2.start();
    await collector2.settle(1_000, 30_000);
    collector2.onChange(() => (changes += 1));
    await collector2.refresh();
    await collector2.settle(1_000, 30_000);
    collector2.stop();
    expect(changes).toBe(2 * SITES);
  });
});

describe('FleetStateCollector and hostile reports', () => {
  it('drops and counts oversized, malformed, off-schema and mismatched payloads, and keeps the last good report', async () => {
    const prefix = 'hostile';
    const collector = new FleetStateCollector(await client(), { prefix, cameras: true, pushes: true });
    await collector.start();
    const publisher = await client();
    const send = (topic: string, payload: string | Buffer): Promise<unknown> => publisher.publishAsync(`${prefix}/${topic}`, payload, { qos: 1 });

    await send('site-a/config/state', configState('site-a', 4));
    await send('site-a/status', siteStatus('site-a'));
    expect(await until(() => collector.sites.get('site-a')?.status !== undefined, 5_000)).toBe(true);

    const hostile: [string, string | Buffer][] = [
      // 70 KB, over the 64 KiB bound for a config report, though well-formed
      ['site-a/config/state', JSON.stringify({ ...JSON.parse(configState('site-a', 5)), error: 'x'.repeat(70_000) })],
      ['site-a/config/state', Buffer.from([0xff, 0xfe, 0x00, 0x7b])],
      ['site-a/config/state', '{"siteId": "site-a", "status": "applied"'],
      // another site's report on site-a's topic
      ['site-a/config/state', configState('site-b', 9)],
      // an unknown key: the wire schema is strict
      ['site-a/config/state', JSON.stringify({ ...JSON.parse(configState('site-a', 6)), extra: true })],
      // nesting deep enough to trouble a recursive parser, within the size bound
      ['site-a/config/state', '['.repeat(30_000) + ']'.repeat(30_000)],
      ['site-a/status', JSON.stringify({ state: 'online', siteId: 'site-a', version: '0.1.0', configVersion: -1, startedAt: TIME })],
      ['site-a/status', '"online"'],
      // a site id longer than any config id
      [`${'s'.repeat(65)}/status`, siteStatus('s'.repeat(65))],
      // a camera report naming another camera
      ['site-a/cam-1/status', JSON.stringify({ cameraId: 'cam-2', state: 'online', since: TIME })],
      // pushes whose version cannot be read
      ['site-a/config/push', JSON.stringify({ payload: Buffer.from('version: 0\n').toString('base64') })],
      ['site-a/config/push', JSON.stringify({ payload: Buffer.from('version: 12345678901234567\n').toString('base64') })],
      ['site-a/config/push', JSON.stringify({ payload: 42 })],
      ['site-a/config/push', 'null'],
    ];
    for (const [topic, payload] of hostile) await send(topic, payload);
    expect(await until(() => collector.ignored === hostile.length, 10_000)).toBe(true);
    const view = collector.sites.get('site-a');
    expect(view?.configState?.version).toBe(4);
    expect(view?.status?.configVersion).toBe(3);
    expect(view?.cameras?.size ?? 0).toBe(0);
    expect(view?.desiredVersion).toBeUndefined();
    expect([...collector.sites.keys()]).toEqual(['site-a']);

    // a good report after all that is taken
    await send('site-a/config/state', configState('site-a', 8));
    await send('site-a/config/push', JSON.stringify({ payload: Buffer.from('# rendered\nversion: 8\nsite: { id: site-a }\n').toString('base64') }));
    expect(await until(() => collector.sites.get('site-a')?.desiredVersion === 8, 5_000)).toBe(true);
    expect(collector.sites.get('site-a')?.configState?.version).toBe(8);
    collector.stop();
  });
});

describe('pushedVersion', () => {
  const envelope = (text: string): Buffer => Buffer.from(JSON.stringify({ payload: Buffer.from(text).toString('base64') }));

  it('reads the version line of a YAML payload or the version key of a JSON one', () => {
    expect(pushedVersion(envelope('# comment\nversion: 12 # why\nsite: {}\n'))).toBe(12);
    expect(pushedVersion(envelope('{"version": 3, "site": {}}'))).toBe(3);
  });

  it('finds no version in a nested key, past the scanned head, or in a broken envelope', () => {
    expect(pushedVersion(envelope('site:\n  version: 4\n'))).toBeUndefined();
    expect(pushedVersion(envelope(`${'# pad\n'.repeat(2_000)}version: 5\n`))).toBeUndefined();
    expect(pushedVersion(Buffer.from('{"payload": "'))).toBeUndefined();
    expect(pushedVersion(envelope('version: 1.5\n'))).toBeUndefined();
  });
});
