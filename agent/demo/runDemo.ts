import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'mqtt';
import { alertSchema } from '../../pipelines/alerts.js';
import { toError } from '../../pipelines/errors.js';
import type { Clock } from '../clock.js';
import { parseSiteConfigText } from '../config/loadSiteConfig.js';
import { packageRoot } from '../inference/modelFiles.js';
import type { Logger } from '../observe/logger.js';
import { startAgent, type RunningAgent } from '../startAgent.js';
import { ensureDemoClip, ensureDemoModel } from './demoAssets.js';
import { formatDemoAlert, formatExplainHint, shellWord } from './demoOutput.js';
import { startEmbeddedBroker } from './embeddedBroker.js';

export interface DemoOptions {
  /** a video file to use instead of the shared clip */
  readonly clip?: string;
  /** stop after this long; default: until the signal aborts */
  readonly durationSeconds?: number;
  readonly metricsPort?: number;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly version: string;
  /** where the alert lines go */
  readonly out: { write(text: string): unknown };
  readonly signal: AbortSignal;
  readonly fetch?: typeof fetch;
}

export interface DemoSummary {
  readonly alerts: number;
  readonly invalid: number;
  readonly metricsUrl: string;
  /** the alert the closing lines explain: the first about an object, else the first */
  readonly explainedAlertId?: string;
  readonly auditDir: string;
}

/**
 * `c5-agent demo`: the shared clip as a looping camera, the whole agent, an embedded broker on
 * loopback, and a subscriber that prints every alert as the centre would receive it.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { env, logger, out } = options;
  const assets = { env, logger, progress: process.stderr, fetch: options.fetch };
  await ensureDemoModel(assets);
  const clip = await ensureDemoClip({ ...assets, clip: options.clip });

  const broker = await startEmbeddedBroker();
  const configPath = join(packageRoot(), 'config', 'examples', 'demo.yaml');
  const loaded = parseSiteConfigText(readFileSync(configPath, 'utf8'), configPath, { ...env, C5_DEMO_CLIP: clip });
  const config = { ...loaded.config, mqtt: { ...loaded.config.mqtt, urls: [broker.url], protocolVersion: 4 as const } };
  // a throwaway audit log, unless the user points C5_AUDIT_DIR at one
  const auditDir = env['C5_AUDIT_DIR'] || mkdtempSync(join(tmpdir(), 'c5-demo-audit-'));
  config.audit = { ...config.audit, dir: auditDir };
  // an outbox in memory, unless the user points C5_OUTBOX_PATH at a file: the demo's broker lives no longer than it does
  config.outbox = { ...config.outbox, path: env['C5_OUTBOX_PATH'] || ':memory:' };
  const site = config.site.id;

  const subscriber = connect(broker.url, { protocolVersion: 4, clientId: `c5-demo-viewer-${process.pid}`, reconnectPeriod: 1000 });
  let alerts = 0;
  let invalid = 0;
  let firstAlertId: string | undefined;
  let objectAlertId: string | undefined;
  subscriber.on('message', (topic, payload) => {
    const text = payload.toString('utf8');
    if (topic.endsWith('/alerts')) {
      const parsed = alertSchema.safeParse(JSON.parse(text));
      if (!parsed.success) {
        invalid += 1;
        out.write(`INVALID alert on ${topic}: ${text}\n`);
        return;
      }
      alerts += 1;
      if (objectAlertId === undefined && parsed.data.object) objectAlertId = parsed.data.id;
      firstAlertId ??= parsed.data.id;
      out.write(formatDemoAlert(parsed.data));
    } else {
      out.write(`status ${topic}: ${text}\n`);
    }
  });
  subscriber.subscribe([`${config.mqtt.prefix}/${site}/+/alerts`, `${config.mqtt.prefix}/${site}/+/status`], { qos: 1 });

  let running: RunningAgent | undefined;
  try {
    const start = (metricsPort: number | undefined): Promise<RunningAgent> =>
      startAgent({ loaded: { ...loaded, config }, env, clock: options.clock, logger, version: options.version, metricsPort });
    try {
      running = await start(options.metricsPort);
    } catch (error) {
      // Another agent (or a second demo) may hold 9464: the demo takes any free port instead.
      if ((toError(error).cause as NodeJS.ErrnoException | undefined)?.code !== 'EADDRINUSE' && !/EADDRINUSE/.test(toError(error).message)) throw error;
      running = await start(0);
    }
    out.write(
      `c5-agent demo: ${clip} as camera "${config.cameras[0]?.id}", broker ${broker.url}\n` +
        `metrics: ${running.metricsUrl}/metrics  (also /healthz, /readyz)\n` +
        `audit log: ${auditDir}  (c5-agent audit verify ${shellWord(auditDir)}; c5-agent audit explain ID --dir ${shellWord(auditDir)})\n` +
        `alerts on ${config.mqtt.prefix}/${site}/+/alerts, each with its id; Ctrl-C to stop\n`,
    );
    await waitUntil(options.signal, options.durationSeconds, options.clock);
    return { alerts, invalid, metricsUrl: running.metricsUrl, explainedAlertId: objectAlertId ?? firstAlertId, auditDir };
  } finally {
    await running?.stop();
    await new Promise<void>((resolve) => subscriber.end(false, {}, () => resolve()));
    await broker.close();
    out.write(`c5-agent demo: stopped after ${alerts} alert(s)\n`);
    if (running) out.write(formatExplainHint({ alertId: objectAlertId ?? firstAlertId, auditDir, env }));
  }
}

function waitUntil(signal: AbortSignal, durationSeconds: number | undefined, clock: Clock): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = durationSeconds === undefined ? undefined : clock.setTimeout(resolve, durationSeconds * 1000);
    signal.addEventListener(
      'abort',
      () => {
        timer?.cancel();
        resolve();
      },
      { once: true },
    );
  });
}
