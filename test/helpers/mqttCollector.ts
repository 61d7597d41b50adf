import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { contractViolation } from './mqttContract.js';

export interface CollectedMessage {
  readonly topic: string;
  /** parsed JSON when the payload is JSON, else the UTF-8 text */
  readonly payload: unknown;
  readonly raw: Buffer;
  readonly retain: boolean;
  readonly qos: 0 | 1 | 2;
  readonly properties: IPublishPacket['properties'];
  /** Date.now() on arrival */
  readonly at: number;
}

export interface MqttCollector {
  readonly messages: readonly CollectedMessage[];
  /** one line per message the agent published that config/asyncapi.yaml refuses (topic and ajv's errors) */
  readonly contractViolations: readonly string[];
  readonly client: MqttClient;
  /** the first message, already received or still to come, that matches; rejects after timeoutMs */
  waitFor(predicate: (message: CollectedMessage) => boolean, timeoutMs: number): Promise<CollectedMessage>;
  clear(): void;
  close(): Promise<void>;
}

export interface CollectorOptions {
  url: string;
  topics: string | readonly string[];
  qos?: 0 | 1 | 2;
  clientId?: string;
  /** bound on connect + subscribe */
  timeoutMs?: number;
  /**
   * Default true: every message on a topic the agent publishes (config/asyncapi.yaml, action
   * send) must validate against the contract; a violation rejects waitFor and close. false only
   * for a test that publishes its own payloads on the agent's topics.
   */
  contract?: boolean;
  clientOptions?: IClientOptions;
}

function parse(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // not JSON (a plain-text test payload): keep the text
    return text;
  }
}

/** An MQTT 5 subscriber that records everything it receives, for asserting on what the agent sent. */
export async function collectMqtt(options: CollectorOptions): Promise<MqttCollector> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const client = connect(options.url, {
    protocolVersion: 5,
    clientId: options.clientId ?? `c5-test-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: 200,
    connectTimeout: timeoutMs,
    ...options.clientOptions,
  });
  const messages: CollectedMessage[] = [];
  const contractViolations: string[] = [];
  const waiters = new Set<{ readonly deliver: (message: CollectedMessage) => void; readonly fail: (error: Error) => void }>();
  const contractError = (): Error => new Error(`MQTT contract (config/asyncapi.yaml) violated:\n  ${contractViolations.join('\n  ')}`);
  client.on('message', (topic, raw, packet) => {
    const violation = options.contract === false ? undefined : contractViolation(topic, raw);
    if (violation !== undefined) {
      contractViolations.push(violation);
      for (const waiter of [...waiters]) waiter.fail(contractError());
    }
    const message: CollectedMessage = {
      topic,
      payload: parse(raw),
      raw,
      retain: packet.retain,
      qos: packet.qos,
      properties: packet.properties,
      at: Date.now(),
    };
    messages.push(message);
    for (const waiter of [...waiters]) waiter.deliver(message);
  });

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector: no CONNACK/SUBACK from ${options.url} within ${timeoutMs} ms`)), timeoutMs);
    client.once('connect', () => {
      const topics = typeof options.topics === 'string' ? [options.topics] : [...options.topics];
      // rap: keep the retain flag on live deliveries, so tests can tell a retained status from a plain one.
      client.subscribe(topics, { qos: options.qos ?? 1, rap: true }, (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      });
    });
  });
  try {
    await ready;
  } catch (error) {
    client.end(true);
    throw error;
  }

  return {
    messages,
    contractViolations,
    client,
    waitFor(predicate, waitMs) {
      if (contractViolations.length > 0) return Promise.reject(contractError());
      const seen = messages.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          deliver: (message: CollectedMessage): void => {
            if (!predicate(message)) return;
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(message);
          },
          fail: (error: Error): void => {
            clearTimeout(timer);
            waiters.delete(waiter);
            reject(error);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const got = messages.map((m) => `${m.topic} ${m.raw.toString('utf8').slice(0, 120)}`).join('\n  ');
          reject(new Error(`no matching MQTT message within ${waitMs} ms; received ${messages.length}:\n  ${got}`));
        }, waitMs);
        waiters.add(waiter);
      });
    },
    clear() {
      messages.length = 0;
    },
    async close() {
      await client.endAsync(true);
      if (contractViolations.length > 0) throw contractError();
    },
  };
}
