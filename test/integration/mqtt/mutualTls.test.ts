import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/clock.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { createAgentMetrics, type AgentMetrics } from '../../../agent/observe/metrics.js';
import { createAlertDelivery, type AlertDelivery } from '../../../agent/outbox/createAlertDelivery.js';
import { mqttSchema } from '../../../pipelines/config/mqttSchema.js';
import { outboxSchema } from '../../../pipelines/config/outboxSchema.js';
import { makeAlert } from '../../helpers/alertFixture.js';
import { createCertificateAuthority, issueCertificate, type CertificateAuthority, type CertificateFiles } from '../../helpers/certificates.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type MqttCollector } from '../../helpers/mqttCollector.js';
import { repoRoot } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/recordingListener.js';

/**
 * The example broker config (config/mosquitto/): its TLS listener block and its ACL file, run for
 * real with certificates made here by openssl. Agents are the real publish side (outbox, link,
 * delivery) as startAgent builds it.
 */

const EXAMPLE = join(repoRoot, 'config', 'mosquitto');

let dir: string;
let ca: CertificateAuthority;
let site: CertificateFiles;
let rogue: CertificateFiles;
let broker: MosquittoBroker;
let centre: MqttCollector;
const logLines: string[] = [];
const logger = createRootLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
const running: AlertDelivery[] = [];

/** The example's listener settings with this test's files in place of /etc/mosquitto/... */
function exampleListener(files: Record<string, string>): string {
  const lines = readFileSync(join(EXAMPLE, 'mosquitto.conf'), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith('listener '));
  const end = lines.findIndex((line) => line.startsWith('acl_file '));
  return lines
    .slice(start + 1, end + 1)
    .filter((line) => !line.startsWith('protocol '))
    .map((line) => line.replace(/\/etc\/mosquitto\/[\w./]+/, (path) => files[path] ?? path))
    .join('\n');
}

function startDelivery(options: { siteId: string; url?: string; tls: Record<string, string>; metrics?: AgentMetrics }): AlertDelivery {
  const delivery = createAlertDelivery({
    config: {
      version: 1,
      site: { id: options.siteId },
      mqtt: mqttSchema.parse({ urls: [options.url ?? `mqtts://localhost:${broker.port}`], reconnectMinSeconds: 0.2, reconnectMaxSeconds: 1, tls: options.tls }),
      outbox: outboxSchema.parse({ path: join(dir, `outbox-${running.length}.sqlite`) }),
    },
    env: {},
    agentVersion: '0.0.0-test',
    clock: systemClock,
    logger,
    metrics: options.metrics ?? createAgentMetrics({ siteId: options.siteId, version: 'test', defaultMetrics: false }),
    random: () => 0.5,
  });
  running.push(delivery);
  delivery.start();
  return delivery;
}

/** The link's reason for the first failed attempt (what readiness and the logs show); bounded. */
async function connectFailure(delivery: AlertDelivery): Promise<string> {
  const { link } = delivery;
  await waitFor('a connection or an error', () => link.connected || link.lastError !== null, 5_000);
  return link.connected ? 'connected' : (link.lastError ?? '');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'c5-mtls-'));
  ca = await createCertificateAuthority(dir, 'c5');
  const other = await createCertificateAuthority(dir, 'rogue');
  const server = await issueCertificate(ca, { file: 'broker', commonName: 'broker', altNames: ['DNS:localhost', 'IP:127.0.0.1'] });
  site = await issueCertificate(ca, { file: 'site-a', commonName: 'site-a' });
  rogue = await issueCertificate(other, { file: 'rogue-site-a', commonName: 'site-a' });
  const centreCert = await issueCertificate(ca, { file: 'centre', commonName: 'c5-centre' });
  broker = await startMosquitto({
    config: exampleListener({
      '/etc/mosquitto/certs/ca.pem': ca.cert,
      '/etc/mosquitto/certs/broker.pem': server.cert,
      '/etc/mosquitto/certs/broker.key': server.key,
      '/etc/mosquitto/acl': join(EXAMPLE, 'acl'),
    }),
  });
  centre = await collectMqtt({
    url: `mqtts://localhost:${broker.port}`,
    topics: 'c5/#',
    clientOptions: { ca: readFileSync(ca.cert), cert: readFileSync(centreCert.cert), key: readFileSync(centreCert.key) },
  });
}, 60_000);

afterEach(async () => {
  await Promise.all(running.splice(0).map((delivery) => delivery.stop()));
});

afterAll(async () => {
  await centre?.close();
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('mutual TLS and the per-site topic ACL (config/mosquitto example)', () => {
  it('delivers alerts from a site with a valid client certificate, the broker name verified', async () => {
    const delivery = startDelivery({ siteId: 'site-a', tls: { ca: ca.cert, cert: site.cert, key: site.key } });
    await delivery.link.whenConnected(5_000);
    const alert = { ...makeAlert({ siteId: 'site-a', cameraId: 'gate' }), seq: delivery.nextSeq() };
    await delivery.sink.publish(alert);
    const got = await centre.waitFor((m) => (m.payload as { id?: string }).id === alert.id, 5_000);
    expect(got.topic).toBe('c5/site-a/gate/alerts');
    expect(got.properties?.userProperties).toEqual({ schema: 'c5.alert.v1' });
    await centre.waitFor((m) => m.topic === 'c5/site-a/status' && (m.payload as { state?: string }).state === 'online', 5_000);
  });

  it('is refused without a client certificate, and says the broker requires one', async () => {
    const delivery = startDelivery({ siteId: 'site-a', tls: { ca: ca.cert } });
    const failure = await connectFailure(delivery);
    expect(failure).toContain('TLS: the broker requires a client certificate and none was sent');
    expect(delivery.link.lastError).toContain('mqtt.tls.cert');
  });

  it('is refused with a certificate from another CA, and says the broker does not trust it', async () => {
    const delivery = startDelivery({ siteId: 'site-a', tls: { ca: ca.cert, cert: rogue.cert, key: rogue.key } });
    expect(await connectFailure(delivery)).toContain('TLS: the broker rejected the client certificate: it is not signed by a CA the broker trusts');
  });

  it('refuses to connect to a broker whose certificate does not carry the expected name', async () => {
    const delivery = startDelivery({ siteId: 'site-a', tls: { ca: ca.cert, cert: site.cert, key: site.key, serverName: 'broker.elsewhere.example' } });
    expect(await connectFailure(delivery)).toContain("TLS: the broker's certificate is not valid for the name the agent expects");
  });

  it('cannot publish as another site: 0x87 refusals are logged and counted, the alert stays in the outbox, retries back off', async () => {
    const metrics = createAgentMetrics({ siteId: 'site-b', version: 'test', defaultMetrics: false });
    const delivery = startDelivery({ siteId: 'site-b', tls: { ca: ca.cert, cert: site.cert, key: site.key }, metrics });
    await delivery.link.whenConnected(5_000);
    const logStart = logLines.length;
    const alert = { ...makeAlert({ siteId: 'site-b', cameraId: 'gate' }), seq: delivery.nextSeq() };
    await delivery.sink.publish(alert);
    const refusals = (): { msg: string; time: number; reason?: string; reasonCode?: number; alertId?: string }[] =>
      logLines
        .slice(logStart)
        .map((line) => JSON.parse(line) as { msg: string; time: number; reason?: string; reasonCode?: number; alertId?: string })
        .filter((entry) => entry.msg.startsWith('broker refused the alert'));
    // It retries: four refusals, however long a loaded machine takes to reach them.
    await waitFor('four refusals', () => refusals().length >= 4, 15_000);
    const seen = refusals();
    expect(seen[0]).toMatchObject({ reason: 'not_authorized', reasonCode: 0x87, alertId: alert.id });
    // It does not spin: each retry came at least the configured pause after the refusal before it.
    // reconnectMinSeconds 0.2 doubling to reconnectMaxSeconds 1, less half of it as jitter with
    // random() 0.5 (a quarter off): 200, 400, 800 ms -> 150, 300, 600 ms.
    const pausesMs = [150, 300, 600];
    const gapsMs = seen.slice(1, 4).map((entry, i) => entry.time - seen[i]!.time);
    console.info(`refusal intervals ${gapsMs.join(', ')} ms; configured pauses ${pausesMs.join(', ')} ms`);
    gapsMs.forEach((gap, i) => expect(gap, `interval ${i + 1}`).toBeGreaterThanOrEqual(pausesMs[i]! - 2));
    expect(delivery.outbox.stats().messages).toBe(1);
    expect(centre.messages.some((m) => m.topic.startsWith('c5/site-b/'))).toBe(false);
    const failures = await metrics.registry.getSingleMetricAsString('c5_agent_mqtt_publish_failures_total');
    expect(Number(/reason="not_authorized"\} (\d+)/.exec(failures)?.[1])).toBeGreaterThanOrEqual(4);
  });
});
