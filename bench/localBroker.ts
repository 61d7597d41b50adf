import { existsSync } from 'node:fs';
import { startEmbeddedBroker } from '../agent/demo/embeddedBroker.js';
import { MOSQUITTO_PATH, startMosquitto } from '../test/helpers/mosquitto.js';

export interface LocalBroker {
  readonly url: string;
  readonly name: string;
  /** aedes speaks MQTT 3.1.1 only */
  readonly protocolVersion: 4 | 5;
  stop(): Promise<void>;
}

/** Mosquitto on a free loopback port when it is installed, else the demo's embedded aedes broker. */
export async function startLocalBroker(): Promise<LocalBroker> {
  if (existsSync(MOSQUITTO_PATH)) {
    const broker = await startMosquitto();
    return { url: broker.url, name: `mosquitto (${MOSQUITTO_PATH})`, protocolVersion: 5, stop: () => broker.stop() };
  }
  const broker = await startEmbeddedBroker();
  return { url: broker.url, name: 'aedes (embedded, MQTT 3.1.1)', protocolVersion: 4, stop: () => broker.close() };
}
