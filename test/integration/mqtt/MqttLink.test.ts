import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type Clock, type Timer } from '../../../agent/clock.js';
import { createRootLogger, type Logger } from '../../../agent/observe/logger.js';
import { createAgentMetrics } from '../../../agent/observe/metrics.js';
import { alertProperties, alertRecord } from '../../../agent/outbox/alertMessage.js';
import { MqttLink, PublishRefusedError, type MqttLinkDeps, type MqttSettings } from '../../../agent/mqtt/MqttLink.js';
import type { Alert } from '../../../pipelines/alerts.js';
import { PublishError } from '../../../pipelines/errors.js';
import { makeAlert } from '../../helpers/alertFixture.js';
import { freePort } from '../../helpers/freePort.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type CollectedMessage, type MqttCollector } from '../../helpers/mqttCollector.js';

const SITE = 'site-a';
const PASSWORD = 'pw-must-never-appear-in-logs';

/** The system clock, except that timers firing while held wait for release(): lets a test order events. */
class HoldableClock implements Clock {
  private held: (() => void)[] | null = null;
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): Timer {
    return systemClock.setTimeout(() => (this.held ? this.held.push(fn) : fn()), ms);
  }
  setInterval(fn: () => void, ms: number): Timer {
    return systemClock.setInterval(fn, ms);
  }
  hold(): void {
    this.held ??= [];
  }
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const fn of held) fn();
  }
}

const logLines: string[] = [];
const logger: Logger = createRootLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });

function settings(urls: string[], overrides: Partial<MqttSettings> = {}): MqttSettings {
  return {
    urls,
    prefix: 'c5',
    protocolVersion: 5,
    keepaliveSeconds: 5,
    reconnectMinSeconds: 0.1,
    reconnectMaxSeconds: 0.8,
    username: 'agent',
    password: PASSWORD,
    sessionExpirySeconds: 60,
    messageExpirySeconds: 600,
    ...overrides,
  };
}

/** An alert as the delivery sends it: its topic, its JSON, QoS 1 with the alert properties. */
function publishAlert(link: MqttLink, alert: Alert): Promise<void> {
  const { topic, payload } = alertRecord(alert, { prefix: 'c5', siteId: SITE }, Date.now());
  return link.publish(topic, payload, { qos: 1, retain: false, properties: alertProperties(600) });
}

const links: MqttLink[] = [];
const collectors: MqttCollector[] = [];

function makeLink(urls: string[], extra: Partial<MqttLinkDeps> = {}): { link: MqttLink; client: () => MqttClient } {
  let captured: MqttClient | undefined;
  const capturing = ((url: string, options: IClientOptions) => {
    captured = connect(url, options);
    return captured;
  }) as typeof connect;
  const link = new MqttLink({
    config: settings(urls),
    siteId: SITE,
    agentVersion: '0.1.0-test',
    configVersion: 3,
    clock: systemClock,
    logger,
    connect: capturing,
    ...extra,
  });
  links.push(link);
  return {
    link,
    client: () => {
      if (!captured) throw new Error('link not started');
      return captured;
    },
  };
}

async function collector(url: string, topics: string | string[]): Promise<MqttCollector> {
  const c = await collectMqtt({ url, topics });
  collectors.push(c);
  return c;
}

const isStatus = (state: string, reason?: string) => (m: CollectedMessage) =>
  m.topic === `c5/${SITE}/status` &&
  (m.payload as { state?: string }).state === state &&
  (reason === undefined || (m.payload as { reason?: string }).reason === reason);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when the link reports the given state; bounded. */
function waitForConnection(link: MqttLink, up: boolean, timeoutMs: number): Promise<void> {
  if (link.connected === up) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`link not ${up ? 'connected' : 'disconnected'} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = link.onConnectionChange((state) => {
      if (state !== up) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

describe('MqttLink against Mosquitto', () => {
  let broker: MosquittoBroker;

  beforeAll(async () => {
    broker = await startMosquitto();
  });

  afterEach(async () => {
    await Promise.all(links.splice(0).map((link) => link.stop()));
    await Promise.all(collectors.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await broker?.stop();
    // Secrets never reach the logs, whatever happened above.
    expect(logLines.join('')).not.toContain(PASSWORD);
  });

  it('announces the site with a retained online birth on connect', async () => {
    const { link, client } = makeLink([broker.url]);
    link.start();
    await link.whenConnected(5_000);
    // A subscriber that arrives later still learns the state: the birth is retained.
    const late = await collector(broker.url, `c5/${SITE}/status`);
    const birth = await late.waitFor(isStatus('online'), 5_000);
    expect(birth.retain).toBe(true);
    expect(birth.payload).toMatchObject({ state: 'online', siteId: SITE, version: '0.1.0-test', configVersion: 3 });
    expect(Date.parse((birth.payload as { startedAt: string }).startedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(birth.properties?.contentType).toBe('application/json');

    // A newly applied config is announced at once, and the Last Will follows it.
    link.setConfigVersion(4);
    await late.waitFor((m) => isStatus('online')(m) && (m.payload as { configVersion?: number }).configVersion === 4, 5_000);
    expect(JSON.parse(String(client().options.will?.payload))).toMatchObject({ state: 'offline', configVersion: 4 });
  });

  it('leaves a retained offline Last Will when its socket dies, then comes back online with camera statuses', async () => {
    const { link, client } = makeLink([broker.url]);
    const watcher = await collector(broker.url, [`c5/${SITE}/status`, `c5/${SITE}/+/status`]);
    link.start();
    await link.whenConnected(5_000);
    await link.publishCameraStatus({ cameraId: 'cam-1', state: 'degraded', reason: 'stalled', since: 1_700_000_000_000 });
    await watcher.waitFor((m) => m.topic === `c5/${SITE}/cam-1/status`, 5_000);
    watcher.clear();

    // No DISCONNECT packet: to the broker this is a crashed agent or a cut cable.
    client().stream.destroy();

    const will = await watcher.waitFor(isStatus('offline', 'connection_lost'), 5_000);
    expect(will.retain).toBe(true);
    expect(will.qos).toBe(1);
    expect(will.payload).toMatchObject({ siteId: SITE, version: '0.1.0-test', configVersion: 3 });
    const online = await watcher.waitFor(isStatus('online'), 5_000);
    expect(online.at).toBeGreaterThanOrEqual(will.at);
    const camera = await watcher.waitFor((m) => m.topic === `c5/${SITE}/cam-1/status`, 5_000);
    expect(camera.retain).toBe(true);
    expect(camera.payload).toEqual({ cameraId: 'cam-1', state: 'degraded', reason: 'stalled', since: '2023-11-14T22:13:20.000Z' });
  });

  it('publishes alerts on the camera topic, QoS 1, not retained, with MQTT 5 properties, resolving on PUBACK', async () => {
    const { link } = makeLink([broker.url]);
    const alerts = await collector(broker.url, `c5/${SITE}/+/alerts`);
    link.start();
    await link.whenConnected(5_000);
    const alert = makeAlert({ cameraId: 'cam-7' });
    await publishAlert(link, alert);
    const got = await alerts.waitFor((m) => (m.payload as { id?: string }).id === alert.id, 5_000);
    expect(got.topic).toBe(`c5/${SITE}/cam-7/alerts`);
    expect(got.qos).toBe(1);
    expect(got.retain).toBe(false);
    expect(got.payload).toEqual(alert);
    expect(got.properties?.contentType).toBe('application/json');
    expect(got.properties?.userProperties).toEqual({ schema: 'c5.alert.v1' });
    // The broker passes the expiry on, less the time it held the message.
    expect(got.properties?.messageExpiryInterval).toBeGreaterThan(590);
    expect(got.properties?.messageExpiryInterval).toBeLessThanOrEqual(600);
  });

  it('reconnects with backoff after a broker restart and delivers an alert published during the gap', async () => {
    const clock = new HoldableClock();
    const { link } = makeLink([broker.url], { clock, random: () => 0.5 });
    link.start();
    await link.whenConnected(5_000);
    const logStart = logLines.length;

    await broker.stop();
    await waitForConnection(link, false, 5_000);
    const alert = makeAlert({ cameraId: 'cam-2' });
    let acked = false;
    const publishing = publishAlert(link, alert).then(() => (acked = true));
    // Long enough for several failed attempts: 75 + 150 + 300 ms with min 0.1 s, max 0.8 s, jitter 0.5.
    await sleep(900);
    expect(acked).toBe(false);
    expect(link.stats.held).toBe(1);

    // Reconnects wait until a fresh subscriber is in place (Mosquitto keeps no sessions across restarts here).
    clock.hold();
    await broker.start();
    const alerts = await collector(broker.url, `c5/${SITE}/+/alerts`);
    clock.release();

    await waitForConnection(link, true, 5_000);
    await publishing;
    const got = await alerts.waitFor((m) => (m.payload as { id?: string }).id === alert.id, 5_000);
    expect(got.topic).toBe(`c5/${SITE}/cam-2/alerts`);

    const delays = logLines
      .slice(logStart)
      .map((line) => JSON.parse(line) as { msg: string; delayMs?: number })
      .filter((entry) => entry.msg === 'reconnecting to broker')
      .map((entry) => entry.delayMs);
    expect(delays.slice(0, 3)).toEqual([75, 150, 300]);
  });

  it('re-sends an alert whose PUBACK was lost with the connection, and resolves once it arrives', async () => {
    const { link, client } = makeLink([broker.url]);
    const alerts = await collector(broker.url, `c5/${SITE}/+/alerts`);
    link.start();
    await link.whenConnected(5_000);
    const alert = makeAlert();
    const publishing = publishAlert(link, alert);
    expect(link.stats).toMatchObject({ held: 0, inflight: expect.any(Number) });
    expect(link.stats.inflight).toBeGreaterThan(0);
    // Same tick: the PUBACK cannot have arrived, so the message sits in MQTT.js's outgoing store.
    client().stream.destroy();
    await waitForConnection(link, false, 5_000);
    await publishing;
    expect(link.connected).toBe(true);
    await alerts.waitFor((m) => (m.payload as { id?: string }).id === alert.id, 5_000);
  });

  it('keeps a persistent MQTT 5 session: after a dropped connection the broker still has it', async () => {
    // A client id no earlier test left a session for.
    const { link, client } = makeLink([broker.url], { config: settings([broker.url], { clientId: 'c5-agent-session-test' }) });
    link.start();
    const sessionPresent: boolean[] = [];
    client().on('connect', (connack) => sessionPresent.push(connack.sessionPresent));
    await link.whenConnected(5_000);
    expect(client().options).toMatchObject({ clean: false, properties: { sessionExpiryInterval: 60 } });
    client().stream.destroy();
    await waitForConnection(link, false, 5_000);
    await waitForConnection(link, true, 5_000);
    expect(sessionPresent).toEqual([false, true]);
  });

  it('fails over to the next broker URL when the first is dead', async () => {
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const { link } = makeLink([dead, broker.url]);
    const status = await collector(broker.url, `c5/${SITE}/status`);
    const logStart = logLines.length;
    link.start();
    await link.whenConnected(5_000);
    expect(link.stats.endpoint).toBe(broker.url);
    await status.waitFor(isStatus('online'), 5_000);
    const logs = logLines.slice(logStart).map((line) => JSON.parse(line) as { msg: string; url?: string; code?: string });
    expect(logs.find((entry) => entry.msg === 'MQTT connection error')).toMatchObject({ url: dead, code: 'ECONNREFUSED' });
    expect(logs.find((entry) => entry.msg === 'connected to broker')).toMatchObject({ url: broker.url });
  });

  it('publishes a retained offline status on shutdown, and shutdown is idempotent', async () => {
    const { link } = makeLink([broker.url]);
    const status = await collector(broker.url, `c5/${SITE}/status`);
    link.start();
    await link.whenConnected(5_000);
    await Promise.all([link.stop(), link.stop()]);
    const offline = await status.waitFor(isStatus('offline', 'shutdown'), 5_000);
    expect(offline.retain).toBe(true);
    expect(link.connected).toBe(false);
    // A graceful DISCONNECT discards the Last Will: no `connection_lost` follows.
    await sleep(300);
    expect(status.messages.filter(isStatus('offline', 'connection_lost'))).toEqual([]);
    await expect(link.publish('c5/site-a/cam-1/alerts', '{}', { qos: 1, retain: false })).rejects.toMatchObject({ code: 'link_closed' });
  });

  it('speaks MQTT 3.1.1 when the site config asks for it (brokers without MQTT 5)', async () => {
    const alerts = await collector(broker.url, `c5/${SITE}/+/alerts`);
    const { link } = makeLink([broker.url], { config: settings([broker.url], { protocolVersion: 4 }) });
    link.start();
    await link.whenConnected(5_000);
    const alert = makeAlert();
    await publishAlert(link, alert);
    const got = await alerts.waitFor((m) => (m.payload as { id?: string }).id === alert.id, 5_000);
    expect(got.qos).toBe(1);
    expect(got.properties?.userProperties).toBeUndefined();
  });

  it('bounds what it holds while offline: beyond maxPending it rejects with queue_full and counts the drop', async () => {
    const metrics = createAgentMetrics({ siteId: SITE, version: '0.1.0', defaultMetrics: false });
    const { link } = makeLink([`mqtt://127.0.0.1:${await freePort()}`], { maxPending: 2, metrics });
    link.start();
    const first = link.publish('c5/site-a/cam-1/alerts', '1', { qos: 1, retain: false });
    const second = link.publish('c5/site-a/cam-1/alerts', '2', { qos: 1, retain: false });
    await expect(link.publish('c5/site-a/cam-1/alerts', '3', { qos: 1, retain: false })).rejects.toMatchObject({ code: 'queue_full' });
    await expect(link.publish('c5/site-a/stats', '{}', { qos: 0, retain: false })).rejects.toMatchObject({ code: 'not_connected' });
    const failures = await metrics.registry.getSingleMetricAsString('c5_agent_mqtt_publish_failures_total');
    expect(failures).toContain('reason="queue_full"} 1');
    expect(failures).toContain('reason="not_connected"} 1');
    await link.stop();
    await expect(first).rejects.toBeInstanceOf(PublishError);
    await expect(second).rejects.toMatchObject({ code: 'link_closed' });
  });
});

describe('MqttLink against a Mosquitto that denies a topic', () => {
  let broker: MosquittoBroker;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c5-acl-'));
    const acl = join(dir, 'acl');
    // The link connects as user `agent`; entries before any `user` line would only cover anonymous clients.
    await writeFile(acl, 'user agent\ntopic readwrite c5/#\n');
    broker = await startMosquitto({ config: `acl_file ${acl}` });
  });

  afterAll(async () => {
    await Promise.all(links.splice(0).map((link) => link.stop()));
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects with the MQTT 5 reason code from the PUBACK and counts it', async () => {
    const metrics = createAgentMetrics({ siteId: SITE, version: '0.1.0', defaultMetrics: false });
    const { link } = makeLink([broker.url], { metrics });
    link.start();
    await link.whenConnected(5_000);
    const refused = await link.publish('elsewhere/x', '{}', { qos: 1, retain: false }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(PublishRefusedError);
    expect(refused).toMatchObject({ code: 'publish_refused', reasonCode: 0x87, reason: 'not_authorized' });
    expect(await metrics.registry.getSingleMetricAsString('c5_agent_mqtt_publish_failures_total')).toContain('reason="not_authorized"} 1');
    // The link stays usable for permitted topics.
    await link.publish(`c5/${SITE}/cam-1/alerts`, '{}', { qos: 1, retain: false });
    expect(logLines.some((line) => line.includes('"reason":"not_authorized"'))).toBe(true);
  });
});
