import { createServer, type AddressInfo } from 'node:net';
import { AgentError } from '../../pipelines/errors.js';

export interface EmbeddedBroker {
  /** `mqtt://127.0.0.1:PORT` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * An in-process MQTT broker for the demo only, so the quick start needs no Mosquitto. aedes
 * speaks MQTT 3.1.1, so the demo's link uses protocol version 4; production brokers speak 5.
 */
export async function startEmbeddedBroker(port = 0): Promise<EmbeddedBroker> {
  // aedes is a development dependency: production installs run without it, so load it lazily.
  const aedes = await import('aedes').catch((error: unknown) => {
    throw new AgentError('demo_unavailable', 'the demo needs the aedes package, a development dependency: run `npm ci` in a checkout of c5-edge-agent', {
      cause: error,
    });
  });
  const broker = await aedes.Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `mqtt://127.0.0.1:${bound}`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        broker.close();
      });
      return closing;
    },
  };
}
