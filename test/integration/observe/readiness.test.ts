import { afterEach, describe, expect, it, vi } from 'vitest';
import { CameraSupervisor } from '../../../agent/CameraSupervisor.js';
import { systemClock } from '../../../agent/clock.js';
import { parseSiteConfigText } from '../../../agent/config/loadSiteConfig.js';
import { HttpServer } from '../../../agent/observe/HttpServer.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { createAgentMetrics } from '../../../agent/observe/metrics.js';
import { MqttLink } from '../../../agent/mqtt/MqttLink.js';
import { GatedDetector, ManualFrameSource, MemorySink } from '../../helpers/fakeStages.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';

/**
 * /readyz over HTTP for a real CameraSupervisor whose MQTT link talks to a real Mosquitto; only the camera
 * and the model are doubles, so the test decides when a camera is online.
 */

const logger = createRootLogger({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  url: string;
  readonly sources: Map<string, ManualFrameSource>;
  readonly link: MqttLink;
  outboxWritable: boolean;
}

/** `withOutbox: false` leaves out isOutboxWritable, as before the durable outbox exists. */
async function startHarness(broker: MosquittoBroker, options: { modelLoads?: boolean; withOutbox?: boolean } = {}): Promise<Harness> {
  const loaded = parseSiteConfigText(
    `version: 2
site: { id: ready-site }
mqtt: { urls: ["${broker.url}"], reconnectMinSeconds: 0.1, reconnectMaxSeconds: 0.2 }
cameras:
  - { id: gate, source: { url: "rtsp://127.0.0.1:9/gate" } }
  - { id: yard, source: { url: "rtsp://127.0.0.1:9/yard" } }
`,
    'ready.yaml',
    {},
  );
  const metrics = createAgentMetrics({ siteId: 'ready-site', version: '1', configVersion: 2, defaultMetrics: false });
  const link = new MqttLink({ config: loaded.config.mqtt, siteId: 'ready-site', agentVersion: '1', configVersion: 2, clock: systemClock, logger, metrics });
  const sources = new Map<string, ManualFrameSource>();
  const harness: Harness = { sources, link, outboxWritable: false, url: '' };
  const agent = new CameraSupervisor({
    loaded,
    clock: systemClock,
    logger,
    metrics,
    sink: new MemorySink(),
    publishCameraStatus: (status) => void link.publishCameraStatus(status),
    isBrokerConnected: () => link.connected,
    ...(options.withOutbox === false ? {} : { isOutboxWritable: () => harness.outboxWritable }),
    createFrameSource: (camera) => {
      const source = new ManualFrameSource(camera.id);
      sources.set(camera.id, source);
      return source;
    },
    loadDetector: async () => {
      if (options.modelLoads === false) throw new Error('weights missing');
      return new GatedDetector();
    },
    newAlertId: () => 'id',
  });
  const http = new HttpServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, readiness: () => agent.readiness(), logger });
  await http.start();
  link.start();
  await agent.start();
  // The agent spreads camera starts over one frame interval.
  await vi.waitFor(() => expect([...sources.values()].every((source) => source.listener)).toBe(true), { timeout: 2_000 });
  cleanups.push(async () => {
    await agent.stop();
    await link.stop();
    await http.stop();
  });
  harness.url = http.url;
  return harness;
}

async function readyz(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.json() };
}

function setOnline(source: ManualFrameSource | undefined, state: 'online' | 'offline'): void {
  if (!source?.listener) throw new Error('camera not started');
  source.listener.onStatus({ cameraId: source.cameraId, state, ...(state === 'offline' ? { reason: 'stalled' } : {}), since: Date.now() });
}

describe('/readyz of a running agent', () => {
  it('goes 503 with mqtt_disconnected and outbox_not_writable when the broker is down and the outbox cannot take alerts', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const harness = await startHarness(broker);
    harness.outboxWritable = false;
    await harness.link.whenConnected(10_000);
    setOnline(harness.sources.get('gate'), 'online');
    expect(await readyz(harness.url)).toEqual({ status: 200, body: { ready: true, reasons: [] } });

    await broker.stop();
    await vi.waitFor(() => expect(harness.link.connected).toBe(false), { timeout: 10_000, interval: 50 });
    expect(await readyz(harness.url)).toEqual({ status: 503, body: { ready: false, reasons: ['mqtt_disconnected', 'outbox_not_writable'] } });

    // alerts can still be kept durably: ready again while the broker is away
    harness.outboxWritable = true;
    expect(await readyz(harness.url)).toEqual({ status: 200, body: { ready: true, reasons: [] } });

    harness.outboxWritable = false;
    await broker.start();
    await harness.link.whenConnected(10_000);
    expect((await readyz(harness.url)).status).toBe(200);
  }, 30_000);

  it('goes 503 with no_camera_online while no camera delivers frames, though the broker is up', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const harness = await startHarness(broker);
    harness.outboxWritable = false;
    await harness.link.whenConnected(10_000);
    expect(await readyz(harness.url)).toEqual({ status: 503, body: { ready: false, reasons: ['no_camera_online'] } });
    setOnline(harness.sources.get('yard'), 'online');
    expect((await readyz(harness.url)).status).toBe(200);
    setOnline(harness.sources.get('yard'), 'offline');
    setOnline(harness.sources.get('gate'), 'offline');
    expect(await readyz(harness.url)).toEqual({ status: 503, body: { ready: false, reasons: ['no_camera_online'] } });
  }, 30_000);

  it('names no_model_loaded when no model could be loaded', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const harness = await startHarness(broker, { modelLoads: false });
    harness.outboxWritable = true;
    expect(harness.sources.size).toBe(0);
    expect(await readyz(harness.url)).toEqual({ status: 503, body: { ready: false, reasons: ['no_model_loaded', 'no_camera_online'] } });
  }, 30_000);

  it('treats a missing outbox as not writable: without a broker the agent is not ready', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    await broker.stop();
    const harness = await startHarness(broker, { withOutbox: false });
    setOnline(harness.sources.get('gate'), 'online');
    expect(await readyz(harness.url)).toEqual({ status: 503, body: { ready: false, reasons: ['mqtt_disconnected', 'outbox_not_writable'] } });
  }, 30_000);
});
