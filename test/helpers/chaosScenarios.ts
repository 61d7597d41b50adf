import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAlertGenerator, type AlertGeneratorProcess, type GeneratedAlert } from './alertGeneratorProcess.js';
import { deliveryReport, type DeliveryReport } from './deliveryReport.js';
import { startMosquitto, type MosquittoBroker } from './mosquitto.js';
import { collectMqtt, type MqttCollector } from './mqttCollector.js';
import { outboxRows } from './outboxFile.js';
import { waitFor } from './recordingListener.js';

/**
 * The delivery scenarios behind the integration tests and `npm run chaos`: a Mosquitto that keeps
 * sessions on disk, a centre-side subscriber with a persistent session (as C5 runs), and the alert
 * generator (the agent's real publish side) that the scenario stops, kills and restarts.
 */

export interface ScenarioOutcome {
  readonly name: string;
  readonly report: DeliveryReport;
  /** alerts stored while the broker was down (broker-restart) or held in the outbox at the last SIGKILL (agent-kill) */
  readonly backlog: number;
  readonly kills: number;
}

const CAMERAS = ['cam-1', 'cam-2', 'cam-3'];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface ChaosSite {
  readonly broker: MosquittoBroker;
  readonly collector: MqttCollector;
  readonly configPath: string;
  readonly outboxPath: string;
  received(): GeneratedAlert[];
  generator(): Promise<AlertGeneratorProcess>;
  close(): Promise<void>;
}

async function startChaosSite(siteId: string, rate: number): Promise<ChaosSite> {
  const dir = await mkdtemp(join(tmpdir(), `c5-chaos-${siteId}-`));
  await mkdir(join(dir, 'broker'));
  const broker = await startMosquitto({ config: `persistence true\npersistence_location ${join(dir, 'broker')}/` });
  const collector = await collectMqtt({
    url: broker.url,
    topics: `c5/${siteId}/+/alerts`,
    clientId: `c5-centre-${siteId}`,
    clientOptions: { clean: false, properties: { sessionExpiryInterval: 600 } },
  });
  const outboxPath = join(dir, 'outbox.sqlite');
  const configPath = join(dir, 'site.json');
  await writeFile(
    configPath,
    JSON.stringify({
      site: { id: siteId },
      mqtt: { urls: [broker.url], reconnectMinSeconds: 0.2, reconnectMaxSeconds: 1, keepaliveSeconds: 5, sessionExpirySeconds: 600 },
      outbox: { path: outboxPath },
    }),
  );
  const generators: AlertGeneratorProcess[] = [];
  return {
    broker,
    collector,
    configPath,
    outboxPath,
    received: () =>
      collector.messages.map((message) => {
        const alert = message.payload as { seq: number; id: string; cameraId: string };
        return { seq: alert.seq, id: alert.id, cameraId: alert.cameraId };
      }),
    async generator() {
      const generator = await startAlertGenerator({ configPath, rate, cameras: CAMERAS });
      generators.push(generator);
      return generator;
    },
    async close() {
      await Promise.all(generators.map((generator) => generator.kill()));
      await collector.close();
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Stops generating, waits (bounded) until the centre has every stored alert, then stops gracefully. */
async function drain(site: ChaosSite, generator: AlertGeneratorProcess, generated: readonly GeneratedAlert[], timeoutMs: number): Promise<void> {
  generator.pause();
  // What the generator stored is only final once it stopped generating: the last timer tick may be in flight.
  await sleep(200);
  const all = (): GeneratedAlert[] => [...generated, ...generator.stored];
  const allReceived = (): boolean => {
    const received = new Set(site.received().map((alert) => alert.id));
    return all().every((alert) => received.has(alert.id));
  };
  // Not arriving in time is a result, not an error: the report counts it as lost.
  await waitFor('every stored alert at the centre', allReceived, timeoutMs, 100).catch(() => undefined);
  await generator.stop();
}

/** Alerts flow, the broker stops for `outageMs`, then starts again: everything stored in the gap must arrive. */
export async function brokerRestartScenario(options: { outageMs: number; rate?: number }): Promise<ScenarioOutcome> {
  const site = await startChaosSite('chaos-restart', options.rate ?? 20);
  try {
    const generator = await site.generator();
    await generator.waitForStored(10, 20_000);
    const before = generator.stored.length;
    await site.broker.stop();
    await sleep(options.outageMs);
    const backlog = generator.stored.length - before;
    await site.broker.start();
    await generator.waitForStored(generator.stored.length + 10, 20_000);
    await drain(site, generator, [], 30_000);
    return { name: 'broker-restart', report: deliveryReport(generator.stored, site.received()), backlog, kills: 0 };
  } finally {
    await site.close();
  }
}

/**
 * The agent is SIGKILLed `kills` times while alerts flow (some awaiting PUBACK), then once more
 * with the broker down and a backlog in its outbox; each time it is restarted on the same outbox.
 */
export async function agentKillScenario(options: { kills: number; rate?: number }): Promise<ScenarioOutcome> {
  const site = await startChaosSite('chaos-kill', options.rate ?? 20);
  const generated: GeneratedAlert[] = [];
  try {
    let generator = await site.generator();
    for (let kill = 0; kill < options.kills; kill += 1) {
      // A different moment in the publish cycle each time.
      await generator.waitForStored(5 + Math.floor(Math.random() * 10), 20_000);
      await generator.kill();
      generated.push(...generator.stored);
      generator = await site.generator();
    }
    await generator.waitForStored(5, 20_000);
    await site.broker.stop();
    await generator.waitForStored(generator.stored.length + 10, 20_000);
    await generator.kill();
    generated.push(...generator.stored);
    const backlog = outboxRows(site.outboxPath);
    await site.broker.start();
    generator = await site.generator();
    await generator.waitForStored(5, 20_000);
    await drain(site, generator, generated, 30_000);
    generated.push(...generator.stored);
    return { name: 'agent-kill', report: deliveryReport(generated, site.received()), backlog, kills: options.kills + 1 };
  } finally {
    await site.close();
  }
}
