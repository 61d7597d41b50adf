import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { connect as mqttConnect, type IClientOptions } from 'mqtt';
import { toError } from '../../pipelines/errors.js';
import { mqttClientOptions } from '../mqtt/mqttClientOptions.js';
import { brokerEndpoint, describeConnectionError, reasonName, type BrokerEndpoint } from '../mqtt/mqttWire.js';
import { readTlsMaterial, type TlsMaterial } from '../mqtt/tlsFiles.js';
import { fail, pass, type CheckOutcome, type DoctorCheck } from './DoctorCheck.js';
import type { DoctorContext } from './DoctorContext.js';
import { formatSeconds } from './runDoctorChecks.js';

/** CONNACK reason codes that mean the credentials (or the identity behind them) were refused: 3.1.1 and 5. */
const CREDENTIAL_REFUSALS = new Set([4, 5, 0x86, 0x87]);

/**
 * One row per broker URL (the primary, then each failover), each in the three steps the link
 * takes, so the row names the step that failed: a TCP connection, the TLS handshake with the
 * configured CA, certificate and key (mqtts://, wss://), then an MQTT CONNECT with the configured
 * credentials through the agent's own client options. Nothing is published: the doctor's
 * session is clean, has no Last Will and its own client id (`<agent's id>-doctor`), so it
 * neither takes over a running agent's session nor leaves one behind, and it ends with DISCONNECT.
 */
export function brokerChecks(context: DoctorContext): DoctorCheck[] {
  const { mqtt } = context.config;
  return mqtt.urls.map((url, index) => ({
    id: `broker:${index + 1}`,
    title: `broker ${index + 1} (${index === 0 ? 'primary' : 'failover'})`,
    family: 'brokers',
    timeoutMs: context.timeoutMs,
    run: (signal) => checkBroker(url, context, signal),
  }));
}

async function checkBroker(url: string, context: DoctorContext, signal: AbortSignal): Promise<CheckOutcome> {
  const deadline = Date.now() + context.timeoutMs;
  const { mqtt } = context.config;
  let endpoint: BrokerEndpoint;
  let tls: TlsMaterial | undefined;
  try {
    endpoint = brokerEndpoint(url, mqtt.tls?.serverName);
    tls = readTlsMaterial(mqtt.tls);
  } catch (error) {
    return fail(toError(error).message);
  }
  const shown = endpoint.redacted;
  const { hostname, port, protocol } = endpoint.options;
  const host = String(hostname);
  const secure = protocol === 'mqtts' || protocol === 'ssl' || protocol === 'wss';
  const tcp = await step(signal, deadline, (done) => {
    const socket = netConnect({ host, port: Number(port) });
    socket.once('connect', () => done(undefined, () => socket.destroy()));
    socket.once('error', (error) => done(error, () => socket.destroy()));
    return () => socket.destroy();
  });
  if (tcp !== undefined) return fail(`${shown}: TCP connection to ${host}:${String(port)} failed: ${describeSocketError(tcp)}`);
  if (secure) {
    const handshake = await step(signal, deadline, (done) => {
      const socket = tlsConnect({
        host,
        port: Number(port),
        rejectUnauthorized: true,
        ...(endpoint.options.servername === undefined ? {} : { servername: endpoint.options.servername }),
        ...(tls?.ca ? { ca: tls.ca } : {}),
        ...(tls?.cert ? { cert: tls.cert } : {}),
        ...(tls?.key ? { key: tls.key } : {}),
      });
      // A broker that refuses the client certificate may say so only after the client's side of
      // the handshake completed: end the session and wait for the close, which an alert precedes.
      let secured = false;
      socket.once('secureConnect', () => {
        secured = true;
        socket.end();
      });
      socket.once('close', () => done(secured ? undefined : new Error('the broker closed the connection during the TLS handshake'), () => socket.destroy()));
      socket.once('error', (error) => done(error, () => socket.destroy()));
      return () => socket.destroy();
    });
    if (handshake !== undefined) return fail(`${shown}: TLS handshake failed: ${describeConnectionError(handshake)}`);
  }
  const refused = await mqttHandshake(endpoint, context, tls, deadline, signal);
  if (refused !== undefined) return fail(`${shown}: ${refused}`);
  const layers = secure ? 'TCP, TLS and MQTT CONNECT' : 'TCP and MQTT CONNECT';
  return pass(`${shown}: ${layers} accepted (MQTT ${mqtt.protocolVersion === 5 ? '5' : '3.1.1'})`);
}

type Done = (error: (Error & { code?: unknown }) | undefined, close: () => void) => void;

/** What a failed TCP connection means, in words; the code stays for searching. */
const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused: nothing listens there',
  ETIMEDOUT: 'no answer: a firewall drops the packets, or the host is down',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'the network is unreachable from this box',
  ENOTFOUND: 'the host name does not resolve (DNS)',
  EAI_AGAIN: 'the host name could not be resolved now (DNS)',
  ECONNRESET: 'the connection was reset',
};

function describeSocketError(error: Error & { code?: unknown }): string {
  const words = typeof error.code === 'string' ? SOCKET_ERRORS[error.code] : undefined;
  return words ? `${words} [${String(error.code)}]` : describeConnectionError(error);
}

/** Steps end a little before the check's own limit, so their row names the step that got no answer. */
const STEP_MARGIN_MS = 250;

/** One connection attempt: resolves undefined when it worked, else the error; given up at `deadline` or when `signal` aborts. */
function step(signal: AbortSignal, deadline: number, start: (done: Done) => () => void): Promise<(Error & { code?: unknown }) | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const done: Done = (error, close) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      close();
      resolve(error);
    };
    const timer = setTimeout(
      () => done(Object.assign(new Error('no answer before the time limit'), { code: 'ETIMEDOUT' }), cancel),
      Math.max(0, deadline - Date.now() - STEP_MARGIN_MS),
    );
    const cancel = start(done);
    function onAbort(): void {
      done(new Error('aborted at the time limit'), cancel);
    }
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The MQTT CONNECT with the agent's settings; undefined when the broker accepted it, else why not. */
function mqttHandshake(
  endpoint: BrokerEndpoint,
  context: DoctorContext,
  tls: TlsMaterial | undefined,
  deadline: number,
  signal: AbortSignal,
): Promise<string | undefined> {
  const waitMs = Math.max(0, deadline - Date.now() - STEP_MARGIN_MS);
  const { config } = context;
  const agentClientId = config.mqtt.clientId ?? `c5-agent-${config.site.id}`;
  const options: IClientOptions = mqttClientOptions({
    config: config.mqtt,
    clientId: `${agentClientId}-doctor`,
    // MQTT.js's own timeout stays behind ours, which names what happened
    connectTimeoutMs: waitMs + STEP_MARGIN_MS,
    tls,
    // required by the agent's options; removed below: the doctor leaves no Last Will
    will: { topic: 'unused', payload: Buffer.alloc(0), qos: 0, retain: false },
  });
  delete options.will;
  options.clean = true;
  if (options.properties) options.properties = { ...options.properties, sessionExpiryInterval: 0 };
  return new Promise((resolve) => {
    const client = mqttConnect(endpoint.url, options);
    let settled = false;
    const finish = (why: string | undefined, graceful: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      // DISCONNECT after a CONNACK; after a refusal or an abort the socket is simply dropped.
      client.end(!graceful, {}, () => resolve(why));
    };
    const onAbort = (): void => finish('no CONNACK before the time limit', false);
    const timer = setTimeout(
      () => finish(`no CONNACK within ${formatSeconds(waitMs)}: the port takes TCP connections but nothing answered as an MQTT broker`, false),
      waitMs,
    );
    client.on('connect', () => finish(undefined, true));
    client.on('error', (error: Error & { code?: unknown }) => finish(describeMqttError(error), false));
    client.on('close', () => finish('the broker closed the connection before CONNACK', false));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    // The same place to connect that the agent's link sets before each attempt.
    Object.assign(client.options, endpoint.options);
    if (endpoint.options.path === undefined) delete client.options.path;
    if (endpoint.options.servername === undefined) delete client.options.servername;
    client.connect();
  });
}

function describeMqttError(error: Error & { code?: unknown }): string {
  const { code } = error;
  if (typeof code === 'number' && CREDENTIAL_REFUSALS.has(code)) {
    return `broker refused the credentials (${reasonName(code).replace(/_/g, ' ')}); check mqtt.username and mqtt.password`;
  }
  if (typeof code === 'number') return `broker refused the connection: ${describeConnectionError(error)}`;
  return `MQTT connection failed: ${describeConnectionError(error)}`;
}
