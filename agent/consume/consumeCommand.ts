import type { MqttClient } from 'mqtt';
import type { Alert } from '../../pipelines/alerts.js';
import { id } from '../../pipelines/config/common.js';
import { AgentError } from '../../pipelines/errors.js';
import { quoteUntrusted } from '../../pipelines/untrustedText.js';
import type { ConfigStateMessage } from '../../pipelines/wire/configStateMessage.js';
import type { CameraStatusMessage, SiteStatusMessage } from '../../pipelines/wire/statusMessages.js';
import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { connectFleetBroker, type FleetBrokerOptions } from '../fleet/tools/connectFleetBroker.js';
import { siteStatusTopic } from '../mqtt/topics.js';
import { ConsumerLedger } from './ConsumerLedger.js';
import { formatAlertLine, formatCameraStatusLine, formatConfigStateLine, formatSiteStatusLine, formatSummary } from './consumeOutput.js';
import { readWireMessage } from './readWireMessage.js';

/**
 * `c5-agent consume`: the reference consumer, subscribing as the centre would. It validates each
 * message against the contract (config/asyncapi.yaml's zod sources), de-duplicates alerts by id,
 * checks the order of `seq`, prints alerts (or JSON lines) and, at exit, a summary. Exit 0 when
 * every message was valid, 1 when one was not or the broker went away.
 */

export interface ConsumeOptions extends Omit<FleetBrokerOptions, 'broker'> {
  readonly broker?: string;
  /** one site's topics instead of every site's */
  readonly site?: string;
  /** JSON lines on stdout instead of lines for people */
  readonly json?: boolean;
  /** stop after this many distinct alerts */
  readonly count?: number;
  /** stop after this many seconds */
  readonly duration?: number;
}

const CONNECT_TIMEOUT_MS = 10_000;
/** Above MAX_WIRE_MESSAGE_BYTES, so a message just over it is counted as too large rather than dropped unseen by the broker. */
const MAX_PACKET_BYTES = 1024 * 1024;
/** Warnings of one kind printed before the rest are only counted: a flood must not flood the terminal. */
const WARNINGS_SHOWN_PER_KIND = 20;

/** Every topic of the contract the agent publishes, for one site or all (`+`). */
export function consumeFilters(prefix: string, site: string | undefined): string[] {
  const s = site ?? '+';
  return [
    `${prefix}/${s}/status`,
    `${prefix}/${s}/+/status`,
    `${prefix}/${s}/+/alerts`,
    `${prefix}/${s}/stats`,
    `${prefix}/${s}/config/state`,
    `${prefix}/${s}/audit/checkpoint`,
  ];
}

function checkOptions(options: ConsumeOptions): { broker: string } {
  if (options.broker === undefined) throw new AgentError('usage', '--broker is needed: the broker the sites publish to, mqtt://host:1883 or mqtts://host:8883');
  if (options.site !== undefined && !id.safeParse(options.site).success)
    throw new AgentError('usage', `--site ${quoteUntrusted(options.site)}: expected a site id (lower-case letters, digits, "-" or "_")`);
  try {
    siteStatusTopic(options.prefix, 'probe');
  } catch {
    // the topic builder refused the prefix; say it as a usage error
    throw new AgentError('usage', `--prefix ${quoteUntrusted(options.prefix)}: expected a topic prefix without wildcards or empty levels`);
  }
  return { broker: options.broker };
}

export async function consumeCommand(options: ConsumeOptions, io: CommandIo): Promise<number> {
  const { broker } = checkOptions(options);
  const client = await connectFleetBroker({ ...options, broker }, io.env, {
    clientIdPrefix: 'c5-consume',
    timeoutMs: CONNECT_TIMEOUT_MS,
    maximumPacketBytes: MAX_PACKET_BYTES,
  });
  const ledger = new ConsumerLedger();
  const shown = new Map<string, number>();
  const warn = (kind: string, text: string): void => {
    const count = (shown.get(kind) ?? 0) + 1;
    shown.set(kind, count);
    if (count <= WARNINGS_SHOWN_PER_KIND) io.err.write(`warning: ${text}\n`);
    else if (count === WARNINGS_SHOWN_PER_KIND + 1) io.err.write(`warning: more ${kind} warnings are only counted (see the summary)\n`);
  };

  const handle = (topic: string, payload: Buffer, retained: boolean): void => {
    const reading = readWireMessage(topic, payload, options.prefix);
    if (!reading.ok) {
      ledger.invalidMessage();
      warn('invalid', `invalid message on ${quoteUntrusted(topic, 120)}: ${reading.problem}: ${reading.detail}`);
      return;
    }
    const { channel, message } = reading;
    if (options.json) {
      if (channel === 'alerts' && !recordAlert(message as Alert)) return;
      if (channel !== 'alerts') ledger.counted(channel);
      io.out.write(`${JSON.stringify({ channel, topic, retained, message })}\n`);
      return;
    }
    if (channel === 'alerts') {
      if (recordAlert(message as Alert)) io.out.write(formatAlertLine(message as Alert));
      return;
    }
    ledger.counted(channel);
    if (channel === 'siteStatus') io.out.write(formatSiteStatusLine(message as SiteStatusMessage));
    else if (channel === 'cameraStatus') io.out.write(formatCameraStatusLine(reading.siteId, message as CameraStatusMessage));
    else if (channel === 'configState') io.out.write(formatConfigStateLine(message as ConfigStateMessage));
  };

  /** false for a duplicate, which is not shown again */
  const recordAlert = (alert: Alert): boolean => {
    const verdict = ledger.alert(alert);
    const where = `${alert.siteId}/${alert.cameraId}`;
    if (verdict.kind === 'duplicate') warn('duplicate', `duplicate alert ${alert.id} (seq ${alert.seq}) on ${where}: not shown again`);
    else if (verdict.kind === 'out_of_order') warn('order', `alert seq ${alert.seq} on ${where} after seq ${verdict.previousSeq}: out of order`);
    else if (verdict.kind === 'gap')
      warn('gap', `alert seq ${alert.seq} on site ${alert.siteId} after seq ${verdict.after}: ${verdict.missing} seq number(s) not seen`);
    return verdict.kind !== 'duplicate';
  };

  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number, why?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      client.removeAllListeners('message');
      if (why !== undefined) io.err.write(`c5-agent: ${why}\n`);
      const summary = ledger.summary();
      io.out.write(options.json ? `${JSON.stringify({ summary })}\n` : formatSummary(summary));
      const exit = code !== EXIT.ok || summary.invalid > 0 ? EXIT.failure : EXIT.ok;
      client.end(false, {}, () => resolve(exit));
    };
    const onSignal = (): void => finish(EXIT.ok);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const timer = options.duration === undefined ? undefined : setTimeout(() => finish(EXIT.ok), options.duration * 1000);
    client.on('message', (topic, payload, packet) => {
      if (done) return;
      handle(topic, payload, packet.retain);
      if (options.count !== undefined && ledger.distinctAlerts >= options.count) finish(EXIT.ok);
    });
    client.on('close', () => finish(EXIT.failure, 'the broker closed the connection'));
    subscribe(client, consumeFilters(options.prefix, options.site)).catch((error: unknown) =>
      finish(EXIT.failure, error instanceof Error ? error.message : String(error)),
    );
  });
}

async function subscribe(client: MqttClient, filters: string[]): Promise<void> {
  const granted = await client.subscribeAsync(filters, { qos: 1 });
  // SUBACK reason codes of 0x80 and above are refusals (an ACL, a quota)
  const refused = granted.filter((grant) => grant.qos >= 0x80).map((grant) => grant.topic);
  if (refused.length > 0) throw new AgentError('broker_refused', `the broker refused the subscription to ${refused.join(', ')}`);
}
