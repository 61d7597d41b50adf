import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { metricsPortCheck } from '../../../agent/doctor/checkMetricsPort.js';
import type { CheckOutcome } from '../../../agent/doctor/DoctorCheck.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { HttpServer } from '../../../agent/observe/HttpServer.js';
import { createAgentMetrics } from '../../../agent/observe/metrics.js';
import { doctorContext } from '../../helpers/doctorContext.js';
import { freePort } from '../../helpers/freePort.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function metricsRow(port: number): Promise<CheckOutcome> {
  return metricsPortCheck(doctorContext({ sections: { metrics: { host: '127.0.0.1', port } } })).run(new AbortController().signal);
}

describe('metrics port row', () => {
  it('passes a free port, and leaves it free', async () => {
    const port = await freePort();
    expect(await metricsRow(port)).toEqual({ status: 'pass', reason: `127.0.0.1:${port} is free` });
    expect(await metricsRow(port)).toEqual({ status: 'pass', reason: `127.0.0.1:${port} is free` });
  });

  it('passes, saying so, when a running agent already serves /healthz there', async () => {
    const server = new HttpServer({
      host: '127.0.0.1',
      port: 0,
      registry: createAgentMetrics({ siteId: 's', version: '1', defaultMetrics: false }).registry,
      readiness: () => ({ ready: true, reasons: [] }),
      logger: createRootLogger({ level: 'silent' }),
    });
    await server.start();
    stops.push(() => server.stop());
    const port = server.address.port;
    expect(await metricsRow(port)).toEqual({ status: 'pass', reason: `127.0.0.1:${port} is in use by a running c5-agent (it answers /healthz)` });
  });

  it('fails when another program holds the port', async () => {
    const other: Server = createServer((socket) => socket.destroy());
    const port = await freePort();
    await new Promise<void>((resolve) => other.listen(port, '127.0.0.1', resolve));
    stops.push(() => new Promise((resolve) => other.close(() => resolve())));
    expect(await metricsRow(port)).toEqual({ status: 'fail', reason: `127.0.0.1:${port} is in use by another program: the agent could not serve its metrics` });
  });

  it('fails a host that is not an address of this box', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a real interface
    expect(
      await metricsPortCheck(doctorContext({ sections: { metrics: { host: '192.0.2.1', port: 9464, auth: { bearerToken: 'token-for-unit' } } } })).run(
        new AbortController().signal,
      ),
    ).toEqual({
      status: 'fail',
      reason: '192.0.2.1:9464: 192.0.2.1 is not an address of this box (metrics.host)',
    });
  });
});
