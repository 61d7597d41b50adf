import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';

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
  const waiters = new Set<(message: CollectedMessage) => void>();
  client.on('message', (topic, raw, packet) => {
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
    for (const waiter of [...waiters]) waiter(message);
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
    client,
    waitFor(predicate, waitMs) {
      const seen = messages.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = (message: CollectedMessage): void => {
          if (!predicate(message)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(message);
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
    close: () => client.endAsync(true),
  };
}
