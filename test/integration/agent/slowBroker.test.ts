import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/clock.js';
import { parseSiteConfigText } from '../../../agent/config/loadSiteConfig.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { startAgent, type RunningAgent } from '../../../agent/startAgent.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { clipPath, sharedModelsDir } from '../../helpers/paths.js';

/**
 * Backpressure: a broker that stops acknowledging must not slow frame handling. A loopback
 * proxy in front of a real Mosquitto stops passing the broker's bytes back (no PUBACK, no
 * disconnect), while the real agent keeps reading the plaza clip in real time.
 */

/** A TCP relay to the broker that can hold back the broker's replies (PUBACKs) without closing anything. */
class FreezableProxy {
  url = '';
  private frozen = false;
  private readonly held: { to: Socket; chunk: Buffer }[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(targetPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => this.sockets.delete(socket));
      }
      client.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk) => (this.frozen ? this.held.push({ to: client, chunk }) : client.write(chunk)));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    this.url = `mqtt://127.0.0.1:${address.port}`;
    return this;
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
    for (const { to, chunk } of this.held.splice(0)) to.write(chunk);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let broker: MosquittoBroker;
let proxy: FreezableProxy;
let running: RunningAgent;
let stateDir: string;

const counter = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
  const metric = await running.metrics.registry.getSingleMetric(name)?.get();
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([key, value]) => v.labels[key] === value) && !('le' in v.labels))
    .reduce((sum, v) => sum + v.value, 0);
};
const processed = () => counter('c5_agent_frames_total', { outcome: 'processed' });
const dropped = () => counter('c5_agent_frames_total', { outcome: 'dropped' });
const stored = () => counter('c5_agent_alerts_total', { outcome: 'published' });
const acknowledged = async (): Promise<number> =>
  (await running.metrics.frameToAlertSeconds.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a broker that stops acknowledging', () => {
  beforeAll(async () => {
    broker = await startMosquitto();
    proxy = await new FreezableProxy(broker.port).listen();
    stateDir = mkdtempSync(join(tmpdir(), 'c5-slow-broker-'));
    const yaml = `
version: 1
site: { id: slow-broker }
mqtt: { urls: ["${proxy.url}"], keepaliveSeconds: 60 }
outbox: { path: "${join(stateDir, 'outbox.sqlite')}" }
audit: { dir: "${join(stateDir, 'audit')}" }
metrics: { port: 0 }
stats: { enabled: false }
cameras:
  - id: plaza
    source: { url: "${clipPath}", loop: true, realtime: true }
    analyticsFps: 5
    zones:
      - { id: left, polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }
      - { id: right, polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] }
    rules:
      - { id: people, type: object_present, labels: [person], minScore: 0.4 }
      - { id: left-side, type: zone_intrusion, zone: left, labels: [person], minScore: 0.4 }
      - { id: right-side, type: zone_intrusion, zone: right, labels: [person], minScore: 0.4 }
`;
    const env = { ...process.env, C5_MODELS_DIR: sharedModelsDir };
    const loaded = parseSiteConfigText(yaml, 'slow-broker.yaml', env);
    running = await startAgent({ loaded, env, clock: systemClock, logger: createRootLogger({ level: 'silent' }), version: 'test', metricsPort: 0 });
    await waitFor('a first acknowledged alert', async () => (await acknowledged()) > 0, 30_000);
  });

  afterAll(async () => {
    proxy?.thaw();
    await running?.stop();
    await proxy?.close();
    await broker?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps handling every frame and storing alerts, then delivers them once the broker answers again', async () => {
    // The same agent over two equal windows, the broker answering in the first and frozen in the
    // second: the machine's load, not the broker, sets the frame rate, so the windows are compared.
    const windowMs = 4_000;
    const snapshot = async () => ({ processed: await processed(), dropped: await dropped(), stored: await stored(), acknowledged: await acknowledged() });
    const start = await snapshot();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const before = await snapshot();
    proxy.freeze();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const during = await snapshot();
    const open = { processed: before.processed - start.processed, dropped: before.dropped - start.dropped };
    const frozen = { processed: during.processed - before.processed, dropped: during.dropped - before.dropped };
    console.info(
      `frames processed/dropped in ${windowMs} ms: broker answering ${open.processed}/${open.dropped}, frozen ${frozen.processed}/${frozen.dropped}`,
    );
    // Frames kept flowing through the model at the open window's pace (a pipeline waiting on the
    // broker would stop at its first alert and drop the rest), and no more were replaced by a newer one.
    expect(open.processed).toBeGreaterThan(5);
    expect(frozen.processed).toBeGreaterThanOrEqual(0.7 * open.processed);
    expect(frozen.dropped).toBeLessThanOrEqual(open.dropped + 0.2 * open.processed);
    // alerts went on being stored, and none was acknowledged through the frozen link
    expect(during.stored).toBeGreaterThan(before.stored);
    expect(during.acknowledged).toBe(before.acknowledged);

    proxy.thaw();
    await waitFor('the stored alerts to be acknowledged', async () => (await acknowledged()) >= during.stored - before.stored + before.acknowledged, 20_000);
  }, 40_000);
});
