import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/freePort.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt } from '../../helpers/mqttCollector.js';
import { clipPath, sharedModelsDir } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/recordingListener.js';
import { startCli } from '../../helpers/runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'c5-offline-start-'));
let broker: MosquittoBroker;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

/**
 * The broker address the agent is given. Nothing listens there until open(), so the agent's
 * connections are refused, as at a box that boots before its uplink; then it relays to the
 * broker, which the test's subscriber joined before anything could be published.
 */
function lateRelay(port: number, targetPort: number) {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const end of [socket, upstream]) {
      sockets.add(end);
      end.on('error', () => end.destroy());
      end.on('close', () => {
        sockets.delete(end);
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.pipe(upstream).pipe(socket);
  });
  return {
    open: () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (!server.listening) resolve();
        else server.close(() => resolve());
      }),
  };
}

/** The value of one sample in Prometheus text, or 0 when the series is absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Scrapes `/metrics` until `done` holds on a scrape (bounded); returns that scrape. */
async function scrapeUntil(metricsUrl: string, what: string, done: (text: string) => boolean, timeoutMs: number): Promise<string> {
  let text = '';
  let inFlight = false;
  await waitFor(
    what,
    () => {
      if (!inFlight) {
        inFlight = true;
        void fetch(`${metricsUrl}/metrics`)
          .then((r) => r.text())
          .then(
            (t) => (text = t),
            () => undefined,
          )
          .finally(() => (inFlight = false));
      }
      return done(text);
    },
    timeoutMs,
    200,
  );
  return text;
}

interface Alert {
  readonly cameraId: string;
  readonly createdAt: string;
  readonly seq: number;
}

describe('c5-agent run with the broker unreachable at boot', () => {
  it('starts, detects while the broker is away, and delivers what it held once the broker appears', async () => {
    const port = await freePort();
    const relay = lateRelay(port, broker.port);
    const collector = await collectMqtt({ url: broker.url, topics: ['c5/boot-site/#'] });
    const config = join(dir, 'site.yaml');
    writeFileSync(
      config,
      `version: 1\nsite: {id: boot-site}\n` +
        `mqtt: {urls: ["mqtt://127.0.0.1:${port}"], reconnectMinSeconds: 0.2, reconnectMaxSeconds: 1}\nmetrics: {port: 0}\n` +
        `outbox: {path: "${join(dir, 'outbox.sqlite')}"}\naudit: {dir: "${join(dir, 'audit')}"}\n` +
        `cameras:\n  - id: lobby\n    source: {url: "${clipPath}", loop: true}\n` +
        `    rules: [{id: anyone, type: object_present, labels: [person], minScore: 0.5}]\n`,
    );
    const agent = startCli(['run', '--config', config], { env: { ...process.env, C5_MODELS_DIR: sharedModelsDir }, timeoutMs: 90_000 });
    try {
      await waitFor('agent started log line', () => agent.stdout().includes('"msg":"agent started"'), 30_000);
      const metricsUrl = /"metrics":"(http:\/\/[^"]+)"/.exec(agent.stdout())?.[1];
      expect(metricsUrl).toBeDefined();

      // detecting with no broker: frames are processed and alerts fill the outbox on disk
      const metrics = await scrapeUntil(
        metricsUrl!,
        'processed frames and alerts in the outbox while the broker is down',
        (t) => sample(t, 'c5_agent_frames_total{camera="lobby",outcome="processed"}') >= 15 && sample(t, 'c5_agent_outbox_messages') >= 2,
        30_000,
      );
      expect(sample(metrics, 'c5_agent_mqtt_connected')).toBe(0);
      const heldInOutbox = sample(metrics, 'c5_agent_outbox_messages');
      // ready all the same: every alert is kept on disk until a broker takes it
      const readiness = await fetch(`${metricsUrl}/readyz`);
      expect(await readiness.json()).toMatchObject({ ready: true });
      expect(agent.child.exitCode).toBeNull();

      await relay.open();
      const brokerUpAt = Date.now();
      await collector.waitFor((m) => m.topic === 'c5/boot-site/status' && (m.payload as { state: string }).state === 'online', 15_000);
      await collector.waitFor((m) => m.topic === 'c5/boot-site/lobby/status' && (m.payload as { state: string }).state === 'online', 15_000);
      // the backlog drains: what was held is gone, new alerts pass straight through
      await scrapeUntil(
        metricsUrl!,
        'the outbox to drain',
        (t) => sample(t, 'c5_agent_mqtt_connected') === 1 && t.includes('c5_agent_outbox_messages ') && sample(t, 'c5_agent_outbox_messages') <= 1,
        15_000,
      );
      // everything detected before the broker could be reached arrives, in the order it was made
      const held = (): Alert[] =>
        collector.messages
          .filter((m) => m.topic === 'c5/boot-site/lobby/alerts')
          .map((m) => m.payload as Alert)
          .filter((a) => Date.parse(a.createdAt) < brokerUpAt);
      await waitFor(`the ${heldInOutbox} alerts held in the outbox`, () => held().length >= heldInOutbox, 10_000);
      expect(held().map((a) => a.seq)).toEqual(held().map((_, i) => i + 1));
      agent.child.kill('SIGTERM');
      expect((await agent.done).code).toBe(0);
    } finally {
      agent.child.kill('SIGKILL');
      await collector.close();
      await relay.close();
    }
  }, 90_000);
});
