import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { brokerChecks } from '../../../agent/doctor/checkBrokers.js';
import { runDoctorChecks } from '../../../agent/doctor/runDoctorChecks.js';
import { doctorContext } from '../../helpers/doctorContext.js';
import { freePort } from '../../helpers/freePort.js';
import { startMosquitto } from '../../helpers/mosquitto.js';
import { collectMqtt } from '../../helpers/mqttCollector.js';

const sockets = new Set<Socket>();
const servers: Server[] = [];
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** Accepts TCP connections and never says a word: a hung broker, or something else on its port. */
async function silentServer(): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => sockets.delete(socket));
  });
  servers.push(server);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return port;
}

describe('broker rows (real Mosquitto)', () => {
  it('names the MQTT step when the port accepts TCP but no CONNACK comes, within the time limit', async () => {
    const port = await silentServer();
    const context = { ...doctorContext({ sections: { mqtt: { urls: [`mqtt://127.0.0.1:${port}`] } } }), timeoutMs: 1_500 };
    const [row] = await runDoctorChecks(brokerChecks(context));
    expect(row).toMatchObject({ id: 'broker:1', status: 'fail' });
    expect(row?.reason).toMatch(
      new RegExp(`^mqtt://127.0.0.1:${port}: no CONNACK within \\d(\\.\\d)? s: the port takes TCP connections but nothing answered as an MQTT broker$`),
    );
  });

  it('publishes nothing, retained or not, and leaves no session: the agent-named client id of the doctor is its own', async () => {
    const broker = await startMosquitto();
    try {
      const watcher = await collectMqtt({ url: broker.url, topics: '#' });
      const context = doctorContext({ sections: { site: { id: 'pole-9' }, mqtt: { urls: [broker.url] } } });
      const [row] = await runDoctorChecks(brokerChecks(context));
      expect(row).toMatchObject({ status: 'pass', reason: `${broker.url}: TCP and MQTT CONNECT accepted (MQTT 5)` });
      await watcher.close();
      expect(watcher.messages).toEqual([]);
      expect(broker.logs()).toMatch(/New client connected from .* as c5-agent-pole-9-doctor \(p5, c1, k30/);
      expect(broker.logs()).toMatch(/Client c5-agent-pole-9-doctor disconnected\./);
    } finally {
      await broker.stop();
    }
  });
});
