import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerChecks } from '../../../agent/doctor/checkBrokers.js';
import type { CheckOutcome } from '../../../agent/doctor/DoctorCheck.js';
import type { MqttTlsConfig } from '../../../pipelines/config/mqttSchema.js';
import { createCertificateAuthority, issueCertificate, type CertificateAuthority, type CertificateFiles } from '../../helpers/certificates.js';
import { doctorContext } from '../../helpers/doctorContext.js';
import { freePort } from '../../helpers/freePort.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';

let dir: string;
let ca: CertificateAuthority;
let site: CertificateFiles;
let rogue: CertificateFiles;
let broker: MosquittoBroker;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'c5-doctor-tls-'));
  ca = await createCertificateAuthority(dir, 'c5');
  const other = await createCertificateAuthority(dir, 'rogue');
  const server = await issueCertificate(ca, { file: 'broker', commonName: 'broker', altNames: ['DNS:localhost', 'IP:127.0.0.1'] });
  site = await issueCertificate(ca, { file: 'site', commonName: 'site-a' });
  rogue = await issueCertificate(other, { file: 'rogue-site', commonName: 'site-a' });
  // Mutual TLS as the example broker config has it (config/mosquitto/mosquitto.conf), TLS 1.2 so a refused client certificate ends the handshake.
  broker = await startMosquitto({
    config: [
      `cafile ${ca.cert}`,
      `certfile ${server.cert}`,
      `keyfile ${server.key}`,
      'tls_version tlsv1.2',
      'require_certificate true',
      'use_identity_as_username true',
    ].join('\n'),
  });
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function brokerRows(urls: string[], tls: MqttTlsConfig): Promise<CheckOutcome[]> {
  const context = doctorContext({ sections: { site: { id: 'site-a' }, mqtt: { urls, tls } } });
  return await Promise.all(brokerChecks(context).map((check) => check.run(new AbortController().signal)));
}

describe('broker rows over mutual TLS (real Mosquitto)', () => {
  it('pass with the CA, certificate and key of the config, and name the failing step otherwise', async () => {
    const url = `mqtts://localhost:${broker.port}`;
    const [accepted] = await brokerRows([url], { ca: ca.cert, cert: site.cert, key: site.key });
    expect(accepted).toEqual({ status: 'pass', reason: `${url}: TCP, TLS and MQTT CONNECT accepted (MQTT 5)` });

    const [noCa] = await brokerRows([url], { cert: site.cert, key: site.key });
    expect(noCa?.status).toBe('fail');
    expect(noCa?.reason).toMatch(
      new RegExp(
        `^${url}: TLS handshake failed: TLS: the broker's certificate (is self-signed and not trusted|is not signed by a trusted CA) \\(set mqtt.tls.ca\\)`,
      ),
    );

    const [refused] = await brokerRows([url], { ca: ca.cert, cert: rogue.cert, key: rogue.key });
    expect(refused?.status).toBe('fail');
    expect(refused?.reason).toMatch(new RegExp(`^${url}: TLS handshake failed: TLS: the broker rejected the client certificate`));
  });

  it('checks each failover URL on its own row: a dead primary fails, the live failover passes', async () => {
    const dead = `mqtts://localhost:${await freePort()}`;
    const live = `mqtts://localhost:${broker.port}`;
    const rows = await brokerRows([dead, live], { ca: ca.cert, cert: site.cert, key: site.key });
    const deadPort = new URL(dead).port;
    expect(rows[0]).toEqual({
      status: 'fail',
      reason: `${dead}: TCP connection to localhost:${deadPort} failed: connection refused: nothing listens there [ECONNREFUSED]`,
    });
    expect(rows[1]).toEqual({ status: 'pass', reason: `${live}: TCP, TLS and MQTT CONNECT accepted (MQTT 5)` });
  });
});
