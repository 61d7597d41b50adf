import { randomBytes } from 'node:crypto';
import { Option, type Command } from 'commander';
import { connect as mqttConnect, type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import { AgentError, ConfigError } from '../../../pipelines/errors.js';
import { brokerEndpoint, describeConnectionError, reasonName, type BrokerEndpoint } from '../../mqtt/mqttWire.js';
import { readTlsMaterial } from '../../mqtt/tlsFiles.js';

/**
 * The one MQTT connection of the centre's fleet tools (`fleet push`, `fleet status`, `fleet plan`,
 * `consume`): MQTT 5, a clean session of its own, the password only from the environment so it
 * never sits in a shell history or a process list.
 */

/** The environment variable the broker password comes from; there is deliberately no flag. */
export const FLEET_PASSWORD_ENV = 'C5_FLEET_PASSWORD';
export const DEFAULT_FLEET_PREFIX = 'c5';

export interface FleetBrokerOptions {
  /** mqtt:// or mqtts:// */
  readonly broker: string;
  readonly username?: string;
  /** PEM files for mqtts:// */
  readonly ca?: string;
  readonly cert?: string;
  readonly certKey?: string;
  /** the topic prefix the sites publish under (mqtt.topicPrefix), default `c5` */
  readonly prefix: string;
}

/**
 * The largest packet the broker may send a fleet tool (MQTT 5 Maximum Packet Size; Mosquitto drops
 * larger ones), so a hostile retained message never reaches the tool's memory. A site takes
 * envelopes up to fleet.maxPushBytes (default 1 MiB); the tools read everything else far smaller.
 */
export const DEFAULT_FLEET_MAX_PACKET_BYTES = 2 * 1024 * 1024;
/** MQTT.js's own default when the broker names no Receive Maximum (MQTT 5: 65,535). */
const UNSTATED_RECEIVE_MAXIMUM = 65_535;
/** The receive maximum each connected client's broker stated in its CONNACK. */
const receiveMaximums = new WeakMap<MqttClient, number>();

/** Which flag set a TLS file, for messages that name what the operator typed. */
const TLS_FLAGS: Record<string, string> = { ca: '--ca', cert: '--cert', key: '--cert-key' };
/** CONNACK reason codes (3.1.1 and 5) that mean the credentials or the identity were refused. */
const CREDENTIAL_REFUSALS = new Set([4, 5, 0x86, 0x87]);

/**
 * Connects, or rejects with AgentError `broker_unreachable` (no answer, socket or TLS error,
 * time-out) or `broker_refused` (the broker answered CONNACK with a refusal). Messages name the
 * broker by its redacted URL; the password appears in none of them.
 */
export function connectFleetBroker(
  options: FleetBrokerOptions,
  env: NodeJS.ProcessEnv,
  opts: { readonly clientIdPrefix: string; readonly timeoutMs: number; readonly maximumPacketBytes?: number },
): Promise<MqttClient> {
  const endpoint = fleetEndpoint(options.broker);
  const clientOptions = fleetClientOptions(options, env, opts);
  return new Promise((resolve, reject) => {
    const client = mqttConnect(endpoint.url, clientOptions);
    let settled = false;
    const fail = (error: AgentError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeAllListeners('connect');
      // after a refusal or a time-out there is nothing to say goodbye to: drop the socket
      client.end(true);
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new AgentError('broker_unreachable', `${endpoint.redacted}: no CONNACK within ${String(Math.round(opts.timeoutMs / 100) / 10)} s`)),
      opts.timeoutMs,
    );
    client.once('connect', (connack: IConnackPacket) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      receiveMaximums.set(client, connack.properties?.receiveMaximum ?? UNSTATED_RECEIVE_MAXIMUM);
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
      resolve(client);
    });
    const onError = (error: Error & { code?: unknown }): void => {
      const { code } = error;
      if (typeof code === 'number') {
        const why = CREDENTIAL_REFUSALS.has(code) ? `the credentials (--username, ${FLEET_PASSWORD_ENV})` : 'the connection';
        fail(new AgentError('broker_refused', `${endpoint.redacted}: the broker refused ${why}: ${reasonName(code)} (0x${code.toString(16)})`));
        return;
      }
      fail(new AgentError('broker_unreachable', `${endpoint.redacted}: ${describeConnectionError(error)}`));
    };
    const onClose = (): void => fail(new AgentError('broker_unreachable', `${endpoint.redacted}: the broker closed the connection before CONNACK`));
    client.on('error', onError);
    client.on('close', onClose);
  });
}

/**
 * How many QoS 1 publishes the broker takes unacknowledged on this connection (its CONNACK's
 * Receive Maximum): a publisher's in-flight window must stay at or under it.
 */
export function brokerReceiveMaximum(client: MqttClient): number {
  return receiveMaximums.get(client) ?? UNSTATED_RECEIVE_MAXIMUM;
}

/** The broker flags every fleet tool takes, with their help texts. */
export function addFleetBrokerOptions(command: Command): Command {
  return command
    .option('--broker <url>', 'the broker the sites use: mqtt://host:1883 or mqtts://host:8883')
    .option('--username <name>', `broker user name (the password comes only from the environment, ${FLEET_PASSWORD_ENV})`)
    .option('--ca <file>', 'CA certificate (PEM) the broker is checked against (mqtts://)')
    .option('--cert <file>', 'client certificate (PEM) for brokers that require one')
    .option('--cert-key <file>', 'private key (PEM) of --cert')
    .addOption(new Option('--prefix <prefix>', 'topic prefix of the sites (their mqtt.topicPrefix)').default(DEFAULT_FLEET_PREFIX));
}

function fleetEndpoint(raw: string): BrokerEndpoint {
  const endpoint = brokerEndpoint(raw);
  const { protocol } = endpoint.options;
  if (protocol !== 'mqtt' && protocol !== 'mqtts') {
    throw new ConfigError('usage', `--broker ${endpoint.redacted}: expected mqtt:// or mqtts://`);
  }
  return endpoint;
}

function fleetClientOptions(
  options: FleetBrokerOptions,
  env: NodeJS.ProcessEnv,
  opts: { clientIdPrefix: string; timeoutMs: number; maximumPacketBytes?: number },
): IClientOptions {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(opts.clientIdPrefix)) throw new AgentError('usage', 'client id prefix: 1 to 40 letters, digits, - or _');
  if (options.certKey !== undefined && options.cert === undefined) throw new ConfigError('usage', '--cert-key needs --cert');
  if (options.cert !== undefined && options.certKey === undefined) throw new ConfigError('usage', '--cert needs --cert-key');
  const clientOptions: IClientOptions = {
    protocolVersion: 5,
    // random, so two tools (or two runs) never take over each other's connection
    clientId: `${opts.clientIdPrefix}-${randomBytes(6).toString('hex')}`,
    clean: true,
    keepalive: 30,
    connectTimeout: opts.timeoutMs,
    // one attempt: the tools report an unreachable broker instead of retrying behind the operator's back
    reconnectPeriod: 0,
    // the session ends with the connection: nothing lingers on the broker after a tool exits
    properties: { sessionExpiryInterval: 0, maximumPacketSize: opts.maximumPacketBytes ?? DEFAULT_FLEET_MAX_PACKET_BYTES },
  };
  if (options.username !== undefined) clientOptions.username = options.username;
  const password = env[FLEET_PASSWORD_ENV];
  if (password !== undefined && password !== '') clientOptions.password = password;
  if (options.ca !== undefined || options.cert !== undefined) {
    const tls = readFleetTls(options);
    clientOptions.rejectUnauthorized = true;
    if (tls?.ca) clientOptions.ca = tls.ca;
    if (tls?.cert) clientOptions.cert = tls.cert;
    if (tls?.key) clientOptions.key = tls.key;
  }
  return clientOptions;
}

/** The agent's own PEM reader; its messages name the flag instead of the site config's field. */
function readFleetTls(options: FleetBrokerOptions): ReturnType<typeof readTlsMaterial> {
  try {
    return readTlsMaterial({
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.cert === undefined ? {} : { cert: options.cert }),
      ...(options.certKey === undefined ? {} : { key: options.certKey }),
    });
  } catch (error) {
    if (error instanceof AgentError) {
      const message = error.message.replace(/^mqtt\.tls\.(ca|cert|key)/, (_whole, field: string) => TLS_FLAGS[field] ?? field);
      throw new ConfigError(error.code, message, { cause: error });
    }
    throw error;
  }
}
