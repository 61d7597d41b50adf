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

export function brokerEndpoint(raw: string): BrokerEndpoint {
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
  if ((protocol === 'mqtts' || protocol === 'ssl' || protocol === 'wss') && isIP(host) === 0) options.servername = host;
  return { url: raw, redacted: redactUrl(raw), options };
}

/** `not_authorized` for 0x87: a bounded, readable label for logs, errors and metrics. */
export function reasonName(code: number): string {
  const text = (ReasonCodes as Record<number, string | undefined>)[code];
  if (!text) return code === 0 ? 'success' : `reason_0x${code.toString(16)}`;
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
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
