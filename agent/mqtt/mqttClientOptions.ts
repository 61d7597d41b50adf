import type { IClientOptions } from 'mqtt';
import type { MqttConfig } from '../../pipelines/config/mqttSchema.js';
import type { TlsMaterial } from './tlsFiles.js';

export interface ClientOptionsInput {
  /** username/password already resolved from their secret references */
  readonly config: MqttConfig;
  readonly clientId: string;
  readonly connectTimeoutMs: number;
  readonly tls: TlsMaterial | undefined;
  readonly will: NonNullable<IClientOptions['will']>;
  /** the largest message payload the agent takes (fleet.maxPushBytes); undefined: it takes no large ones */
  readonly maxIncomingPayloadBytes?: number | undefined;
}

/**
 * What a PUBLISH adds to its payload: fixed header (5), topic (2 + its length, ours are short),
 * packet id (2) and properties (content type, user properties a C5 broker may add). Generous, so
 * the broker never drops a push that the size check would take.
 */
export const PUBLISH_OVERHEAD_BYTES = 8 * 1024;
/** Without a fleet section nothing large is subscribed to; acks and small messages still fit. */
export const DEFAULT_MAX_INCOMING_PAYLOAD_BYTES = 64 * 1024;

/**
 * MQTT 5 Maximum Packet Size for the CONNECT: the broker must not send a larger packet (Mosquitto
 * drops it), so a 100 MB message on a subscribed topic never reaches the agent's memory; MQTT.js
 * also closes the connection on one. MQTT 3.1.1 cannot say it: the push size check is the guard.
 */
export function maximumPacketSize(maxIncomingPayloadBytes: number | undefined): number {
  return (maxIncomingPayloadBytes ?? DEFAULT_MAX_INCOMING_PAYLOAD_BYTES) + PUBLISH_OVERHEAD_BYTES;
}

/** The MQTT.js options of the agent's connection; where it connects is set per attempt (failover). */
export function mqttClientOptions(input: ClientOptionsInput): IClientOptions {
  const { config, tls } = input;
  const options: IClientOptions = {
    // MQTT 5 unless the site names a broker that only speaks 3.1.1; reason codes and message
    // properties then simply do not exist on the wire.
    protocolVersion: config.protocolVersion,
    clientId: input.clientId,
    keepalive: config.keepaliveSeconds,
    connectTimeout: input.connectTimeoutMs,
    // We schedule reconnects ourselves: MQTT.js retries at one fixed period and only on one URL.
    reconnectPeriod: 0,
    manualConnect: true,
    // A persistent session: the broker keeps the agent's subscriptions and in-flight QoS 1 state
    // across a dropped connection for sessionExpirySeconds, and MQTT.js keeps every in-flight
    // QoS 1 callback pending instead of failing it (it flushes them only for clean clients).
    clean: false,
    // Stats (QoS 0) are worthless once stale; only QoS 1 is held while offline.
    queueQoSZero: false,
    will: input.will,
  };
  if (config.protocolVersion === 5) {
    options.properties = { sessionExpiryInterval: config.sessionExpirySeconds, maximumPacketSize: maximumPacketSize(input.maxIncomingPayloadBytes) };
  }
  if (config.username !== undefined) options.username = config.username;
  if (config.password !== undefined) options.password = config.password;
  if (tls) {
    // Node's defaults, stated: the broker's chain and name are always checked.
    options.rejectUnauthorized = true;
    if (tls.ca) options.ca = tls.ca;
    if (tls.cert) options.cert = tls.cert;
    if (tls.key) options.key = tls.key;
  }
  return options;
}
