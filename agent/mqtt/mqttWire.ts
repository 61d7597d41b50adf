import { isIP } from 'node:net';
import { ReasonCodes, type IClientOptions } from 'mqtt';
import { PublishError } from '../../pipelines/errors.js';
import { redactUrl } from '../observe/logger.js';

/** One broker URL from the config, split into the MQTT.js options that choose where to connect. */
export interface BrokerEndpoint {
  readonly url: string;
  /** safe to log */
  readonly redacted: string;
  readonly options: Pick<IClientOptions, 'protocol' | 'host' | 'hostname' | 'port' | 'path' | 'servername'>;
}

const DEFAULT_PORTS: Record<string, number> = { mqtt: 1883, tcp: 1883, mqtts: 8883, ssl: 8883, ws: 80, wss: 443 };

/** `serverName`: the name every broker's certificate must carry (mqtt.tls.serverName), instead of each URL's host. */
export function brokerEndpoint(raw: string, serverName?: string): BrokerEndpoint {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Neither the URL nor the parser's error (which quotes its input) is passed on: the scrubber
    // cannot be sure where the credentials sit in text that is not a URL.
    throw new PublishError('invalid_broker_url', `a broker URL (scheme ${JSON.stringify(raw.split(':')[0] ?? '')}) cannot be parsed`);
  }
  const protocol = url.protocol.replace(/:$/, '');
  const defaultPort = DEFAULT_PORTS[protocol];
  if (defaultPort === undefined) {
    throw new PublishError('invalid_broker_url', `broker URL ${redactUrl(raw)}: unsupported scheme ${protocol}`);
  }
  // WHATWG URL keeps IPv6 literals bracketed; sockets want them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const options: BrokerEndpoint['options'] = {
    protocol: protocol as IClientOptions['protocol'],
    host,
    hostname: host,
    port: url.port === '' ? defaultPort : Number(url.port),
  };
  // MQTT.js hands `path` to net.connect for TCP, where it means a Unix socket: only WebSockets get one.
  if (protocol === 'ws' || protocol === 'wss') options.path = `${url.pathname}${url.search}`;
  // MQTT.js sets the TLS server name only when none is set, so on failover it would keep checking
  // the first broker's certificate name against the next broker: each endpoint names its own.
  const tls = protocol === 'mqtts' || protocol === 'ssl' || protocol === 'wss';
  if (tls && serverName !== undefined) options.servername = serverName;
  else if (tls && isIP(host) === 0) options.servername = host;
  return { url: raw, redacted: redactUrl(raw), options };
}

/** `not_authorized` for 0x87: a bounded, readable label for logs, errors and metrics. */
export function reasonName(code: number): string {
  const text = (ReasonCodes as Record<number, string | undefined>)[code];
  if (!text) return code === 0 ? 'success' : `reason_0x${code.toString(16)}`;
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/** What a TLS failure means for whoever has to fix it: which side rejected what, and which setting to look at. */
const TLS_CAUSES: Record<string, string> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the broker requires a client certificate and none was sent (set mqtt.tls.cert and mqtt.tls.key)',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the broker rejected the client certificate: it is not signed by a CA the broker trusts',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the broker rejected the client certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'the broker rejected the client certificate',
  ERR_SSL_TLSV1_ALERT_ACCESS_DENIED: 'the broker denied access to the client certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'the broker rejected the client certificate: it has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: "the broker's certificate is not valid for the name the agent expects (the URL's host, or mqtt.tls.serverName)",
  SELF_SIGNED_CERT_IN_CHAIN: "the broker's certificate is not signed by a trusted CA (set mqtt.tls.ca)",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the broker's certificate is self-signed and not trusted (set mqtt.tls.ca)",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the broker's certificate is not signed by a trusted CA (set mqtt.tls.ca)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the broker's certificate is not signed by a trusted CA (set mqtt.tls.ca)",
  CERT_HAS_EXPIRED: "the broker's certificate has expired",
  CERT_NOT_YET_VALID: "the broker's certificate is not valid yet (check the box's clock)",
};

/**
 * One line for logs and readiness: `TLS: the broker requires a client certificate ... [code]`,
 * `not_authorized (0x87)` for a CONNACK refusal, or the socket error's code and message.
 */
export function describeConnectionError(error: Error & { code?: unknown }): string {
  const { code } = error;
  if (typeof code === 'number') return `${reasonName(code)} (0x${code.toString(16)})`;
  const text = typeof code === 'string' ? code : '';
  const tls = TLS_CAUSES[text];
  if (tls) return `TLS: ${tls} [${text}]`;
  // OpenSSL's messages are multi-line with source paths; the first line says it.
  return `${text} ${error.message.split('\n')[0] ?? ''}`.trim();
}

/** The broker answered a publish with an MQTT 5 failure reason code (PUBACK >= 0x80). */
export class PublishRefusedError extends PublishError {
  readonly reasonCode: number;
  /** snake_case name of the reason code, e.g. `not_authorized` */
  readonly reason: string;

  constructor(topic: string, reasonCode: number, options?: { cause?: unknown }) {
    const reason = reasonName(reasonCode);
    super('publish_refused', `broker refused publish on ${topic}: ${reason} (0x${reasonCode.toString(16)})`, options);
    this.reasonCode = reasonCode;
    this.reason = reason;
  }
}
