import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../agent/clock.js';
import { parseSiteConfigText } from '../../agent/config/loadSiteConfig.js';
import { createRootLogger, type Logger } from '../../agent/observe/logger.js';
import { SecretScrubber } from '../../agent/observe/SecretScrubber.js';
import { startAgent, type RunningAgent } from '../../agent/startAgent.js';
import { CREDENTIAL_URL_CASES, credentialUrl } from '../fixtures/credentialUrls.js';
import { freePort } from '../helpers/freePort.js';
import { startMosquitto, type MosquittoBroker } from '../helpers/mosquitto.js';
import { collectMqtt, type MqttCollector } from '../helpers/mqttCollector.js';
import { sharedModelsDir } from '../helpers/paths.js';

/**
 * Issue 12, case 2: camera passwords leaked into logs and the retained camera status for URL
 * shapes other than `user:pass@`. A running agent gets one camera per shape, each pointing at a
 * loopback port where nothing listens or where a tiny server answers garbage, so ffmpeg fails and
 * quotes its URL in stderr, the agent logs it, reports the camera offline (retained status with
 * ffmpeg's words as detail), lists it in /readyz and writes its audit records. None of the
 * secrets may appear in any of those, in any form the table lists.
 */

const SITE = 'cred-site';
const cases = CREDENTIAL_URL_CASES.filter((testCase) => testCase.runnable !== false);
const cameraId = (index: number): string => `cam-${index}`;
const allSecrets = cases.flatMap((testCase) => testCase.secrets);

let broker: MosquittoBroker;
let garbage: Server;
const garbageSockets = new Set<Socket>();
let collector: MqttCollector;
let running: RunningAgent | undefined;
let logger: Logger;
let auditDir: string;
const logLines: string[] = [];
let metricsText = '';
let readyzText = '';

function siteYaml(hosts: readonly string[]): string {
  const cameras = cases
    .map((testCase, i) => `  - id: ${cameraId(i)}\n    stallTimeoutSeconds: 3\n    source: { url: ${JSON.stringify(credentialUrl(testCase, hosts[i]!))} }\n`)
    .join('');
  return (
    `version: 1\nsite: { id: ${SITE} }\n` +
    `mqtt: { urls: ["${broker.url}"], reconnectMinSeconds: 0.2, reconnectMaxSeconds: 1 }\n` +
    `metrics: { port: 0 }\n` +
    `stats: { intervalSeconds: 1 }\n` +
    `audit: { dir: ${JSON.stringify(auditDir)}, fsyncIntervalMs: 50 }\n` +
    `inference: { workers: 1 }\n` +
    `cameras:\n${cameras}`
  );
}

beforeAll(async () => {
  broker = await startMosquitto();
  // A "camera" that answers every connection with bytes that are neither RTSP, HTTP nor TLS.
  garbage = createServer((socket) => {
    garbageSockets.add(socket);
    socket.on('close', () => garbageSockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.end(Buffer.from('\x00\xff\xfeNOT RTSP 999 garbage\r\n\r\n\x16\x03'));
  });
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
  const garbagePort = (garbage.address() as { port: number }).port;
  // even cameras: a port where nothing listens (connection refused); odd ones: the garbage server
  const hosts: string[] = [];
  for (let i = 0; i < cases.length; i += 1) hosts.push(`127.0.0.1:${i % 2 === 0 ? await freePort() : garbagePort}`);

  auditDir = join(mkdtempSync(join(tmpdir(), 'c5-cred-')), 'audit');
  collector = await collectMqtt({ url: broker.url, topics: ['#'] });
  const env = { ...process.env, C5_MODELS_DIR: sharedModelsDir };
  const loaded = parseSiteConfigText(siteYaml(hosts), 'credentials.yaml', env);
  // as main.ts does: one scrubber for the logger and the agent, filled by startAgent from the config
  const scrubber = new SecretScrubber();
  logger = createRootLogger({ level: 'debug', scrubber, destination: { write: (line: string) => void logLines.push(line) } });
  running = await startAgent({ loaded, env, clock: systemClock, logger, version: '0.0.0-cred', scrubber });

  // every camera has failed at least once and said so on its retained status, with ffmpeg's words
  await Promise.all(
    cases.map((_, i) =>
      collector.waitFor(
        (m) =>
          m.topic === `c5/${SITE}/${cameraId(i)}/status` &&
          (m.payload as { state?: string; detail?: string }).state === 'offline' &&
          typeof (m.payload as { detail?: string }).detail === 'string',
        40_000,
      ),
    ),
  );
  await collector.waitFor((m) => m.topic === `c5/${SITE}/stats`, 10_000);

  // The exact-value scrubber on its own, where no URL shape gives a secret away: a log line and
  // an MQTT message that carry every secret bare.
  logger.child({ component: 'probe' }).warn({ values: allSecrets }, `probe ${allSecrets.join(' | ')}`);
  await running.link.publish(`c5/${SITE}/probe`, JSON.stringify({ values: allSecrets }), { qos: 1, retain: false });
  await collector.waitFor((m) => m.topic === `c5/${SITE}/probe`, 10_000);

  metricsText = await (await fetch(`${running.metricsUrl}/metrics`)).text();
  readyzText = await (await fetch(`${running.metricsUrl}/readyz`)).text();
  await running.stop();
}, 90_000);

afterAll(async () => {
  await running?.stop();
  await collector?.close();
  for (const socket of garbageSockets) socket.destroy();
  await new Promise<void>((resolve) => (garbage ? garbage.close(() => resolve()) : resolve()));
  await broker?.stop();
});

function auditText(): string {
  return readdirSync(auditDir)
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => readFileSync(join(auditDir, name), 'utf8'))
    .join('');
}

describe('camera credentials never leave a running agent', () => {
  it('ran each camera, failed it, and wrote what the check below reads (the check is not vacuous)', () => {
    const logs = logLines.join('');
    for (let i = 0; i < cases.length; i += 1) {
      expect(logs, cameraId(i)).toMatch(new RegExp(`"camera":"${cameraId(i)}"[^\\n]*"msg":"spawning ffmpeg"`));
    }
    // ffmpeg's stderr quoting a URL, redacted, reached the logs and the retained statuses
    expect(logs).toContain('REDACTED');
    const details = collector.messages.filter((m) => m.topic.endsWith('/status')).map((m) => JSON.stringify(m.payload));
    expect(details.some((detail) => detail.includes('127.0.0.1'))).toBe(true);
    console.log(`camera status details:\n${[...new Set(details.filter((d) => d.includes('detail')))].slice(0, 40).join('\n')}`);
    expect(logs).toContain('probe REDACTED');
    expect(collector.messages.find((m) => m.topic === `c5/${SITE}/probe`)?.raw.toString()).toContain('REDACTED');
    expect(metricsText).toContain('c5_agent_');
    expect(JSON.parse(readyzText)).toMatchObject({ ready: false });
    expect(auditText()).toContain('"type":"agent_started"');
  });

  describe.each(cases.map((testCase, i) => ({ ...testCase, camera: cameraId(i) })))('$shape ($camera)', ({ secrets }) => {
    it('is not in the logs', () => {
      const logs = logLines.join('');
      for (const secret of secrets) expect(logs).not.toContain(secret);
    });

    it('is not in any MQTT message (topic or payload), retained statuses included', () => {
      for (const message of collector.messages) {
        for (const secret of secrets) {
          expect(message.topic).not.toContain(secret);
          expect(message.raw.toString('utf8'), message.topic).not.toContain(secret);
        }
      }
    });

    it('is not in /metrics or /readyz', () => {
      for (const secret of secrets) {
        expect(metricsText).not.toContain(secret);
        expect(readyzText).not.toContain(secret);
      }
    });

    it('is not in the audit records', () => {
      const audit = auditText();
      for (const secret of secrets) expect(audit).not.toContain(secret);
    });
  });
});
