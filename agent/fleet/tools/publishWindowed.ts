import type { MqttClient } from 'mqtt';
import { describeConnectionError } from '../../mqtt/mqttWire.js';
import { brokerReceiveMaximum } from './connectFleetBroker.js';

/**
 * Publishes many QoS 1 messages with at most `window` of them awaiting PUBACK (and never more
 * than the broker's Receive Maximum), so 14,000 retained envelopes go out at the broker's pace in
 * seconds, without one round trip each and without piling 40 MB into the socket at once.
 */

export interface OutgoingMessage {
  readonly key: string;
  readonly topic: string;
  readonly payload: Buffer | string;
}

export interface PublishSettings {
  readonly retain: boolean;
  /** MQTT 5 Message Expiry Interval in seconds; undefined: the message never expires */
  readonly expirySeconds?: number;
  /** publishes awaiting PUBACK at most (default 64) */
  readonly window?: number;
}

/** The keys whose publish failed, each with the broker's or the client's reason. */
export type PublishFailures = Map<string, string>;

const DEFAULT_WINDOW = 64;
/** The MQTT 5 Message Expiry Interval is a four-byte integer of seconds. */
const MAX_EXPIRY_SECONDS = 0xffff_ffff;

export async function publishWindowed(client: MqttClient, messages: readonly OutgoingMessage[], settings: PublishSettings): Promise<PublishFailures> {
  const failures: PublishFailures = new Map();
  const window = Math.max(1, Math.min(settings.window ?? DEFAULT_WINDOW, brokerReceiveMaximum(client)));
  const properties =
    settings.expirySeconds === undefined ? undefined : { messageExpiryInterval: Math.min(MAX_EXPIRY_SECONDS, Math.ceil(settings.expirySeconds)) };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < messages.length) {
      const message = messages[next]!;
      next += 1;
      // a clean session does not reconnect: a publish queued now would wait for ever
      if (!client.connected) {
        failures.set(message.key, 'the connection to the broker was lost');
        continue;
      }
      try {
        await client.publishAsync(message.topic, message.payload, { qos: 1, retain: settings.retain, ...(properties ? { properties } : {}) });
      } catch (error) {
        failures.set(message.key, describeConnectionError(error as Error & { code?: unknown }));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, messages.length) }, lane));
  return failures;
}
