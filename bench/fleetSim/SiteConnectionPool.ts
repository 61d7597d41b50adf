import { connectAsync, type MqttClient } from 'mqtt';
import type { PublishOptions } from '../../agent/MessagePublisher.js';
import { toError } from '../../pipelines/errors.js';

/**
 * A few real MQTT connections that carry many simulated sites: each site is given one connection
 * (round robin) and subscribes on it to its own exact push topic, so the broker delivers each
 * push once, to the one connection whose site it is, exactly as it would to 14,000 boxes with a
 * connection each. Subscriptions made in the same turn go out in one SUBSCRIBE packet (a
 * connection carries ~500 sites; never 14,000 subscriptions on one client).
 */

export interface SiteConnectionPoolOptions {
  readonly url: string;
  readonly connections: number;
  readonly clientIdPrefix: string;
  readonly timeoutMs: number;
}

/** What a simulated site's FleetLink and status publisher need of the pool. */
export interface PooledConnection {
  subscribe(topic: string, handler: (payload: Buffer) => void): () => void;
  publish(topic: string, payload: string, options: PublishOptions): Promise<void>;
}

class Connection implements PooledConnection {
  private readonly handlers = new Map<string, (payload: Buffer) => void>();
  private pendingTopics: string[] = [];
  private flushScheduled = false;
  /** publishes handed to the client, for the simulator's own count */
  published = 0;

  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      // A zero-length retained message clears a topic; the site's handler decides what it means.
      this.handlers.get(topic)?.(payload);
    });
  }

  subscribe(topic: string, handler: (payload: Buffer) => void): () => void {
    this.handlers.set(topic, handler);
    this.pendingTopics.push(topic);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushSubscriptions());
    }
    return () => {
      this.handlers.delete(topic);
      this.client.unsubscribe(topic, (error) => {
        // Only a closing pool unsubscribes late; the handler is gone either way.
        if (error) void error;
      });
    };
  }

  publish(topic: string, payload: string, options: PublishOptions): Promise<void> {
    this.published += 1;
    // MQTT.js may rewrite properties (topic aliases): each publish gets its own copy, as MqttLink does.
    const properties = options.properties ? { ...options.properties } : undefined;
    return this.client.publishAsync(topic, payload, { qos: options.qos, retain: options.retain, properties }).then(() => undefined);
  }

  private flushSubscriptions(): void {
    this.flushScheduled = false;
    const topics = this.pendingTopics;
    this.pendingTopics = [];
    // Batches of 1,000 keep each SUBSCRIBE packet well under the broker's packet limits.
    for (let i = 0; i < topics.length; i += 1_000) {
      this.client.subscribe(topics.slice(i, i + 1_000), { qos: 1 }, (error) => {
        if (error) process.stderr.write(`fleet sim: subscribe failed: ${toError(error).message}\n`);
      });
    }
  }
}

export class SiteConnectionPool {
  private readonly connections: Connection[];
  private next = 0;

  private constructor(connections: Connection[]) {
    this.connections = connections;
  }

  static async open(options: SiteConnectionPoolOptions): Promise<SiteConnectionPool> {
    const clients = await Promise.all(
      Array.from({ length: options.connections }, (_, i) =>
        connectAsync(options.url, {
          protocolVersion: 5,
          clean: true,
          clientId: `${options.clientIdPrefix}-${i}`,
          connectTimeout: options.timeoutMs,
          reconnectPeriod: 500,
          // The pool's own queue: thousands of site reports may be in flight at once.
          properties: { receiveMaximum: 65_535 },
        }),
      ),
    );
    return new SiteConnectionPool(clients.map((client) => new Connection(client)));
  }

  get size(): number {
    return this.connections.length;
  }

  /** The connection the next site uses (round robin). */
  take(): PooledConnection {
    const connection = this.connections[this.next % this.connections.length]!;
    this.next += 1;
    return connection;
  }

  /** Publishes the simulated sites handed to the broker, over every connection. */
  get published(): number {
    return this.connections.reduce((sum, connection) => sum + connection.published, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map((connection) => connection.client.endAsync()));
  }
}
