import type { MqttClient } from 'mqtt';
import { toError } from '../../pipelines/errors.js';
import type { Logger } from '../observe/logger.js';

export type MessageHandler = (payload: Buffer, topic: string) => void;

export interface SubscriptionsDeps {
  readonly log: Logger;
  /** null while there is no connection: the subscription is then sent by renew() on the next CONNACK */
  connectedClient(): Pick<MqttClient, 'subscribe' | 'unsubscribe'> | null;
}

/**
 * The link's subscriptions, one handler per exact topic name. They outlive connections: a broker
 * that restarts or ends the session forgets them, so every CONNACK sends them all again.
 */
export class Subscriptions {
  private readonly deps: SubscriptionsDeps;
  private readonly byTopic = new Map<string, { qos: 0 | 1; handler: MessageHandler }>();

  constructor(deps: SubscriptionsDeps) {
    this.deps = deps;
  }

  /** Replaces any earlier handler for `topic`; the returned function removes only this one. */
  add(topic: string, qos: 0 | 1, handler: MessageHandler): () => void {
    this.byTopic.set(topic, { qos, handler });
    this.send(topic, qos);
    return () => {
      if (this.byTopic.get(topic)?.handler !== handler) return;
      this.byTopic.delete(topic);
      this.deps.connectedClient()?.unsubscribe(topic);
    };
  }

  renew(): void {
    for (const [topic, { qos }] of this.byTopic) this.send(topic, qos);
  }

  /** A throwing handler is logged and must not break the client's event loop. */
  dispatch(topic: string, payload: Buffer): void {
    const subscription = this.byTopic.get(topic);
    if (!subscription) return;
    try {
      subscription.handler(payload, topic);
    } catch (error) {
      this.deps.log.error({ topic, err: toError(error) }, 'message handler threw');
    }
  }

  private send(topic: string, qos: 0 | 1): void {
    // rh 1: retained messages only for a subscription the broker did not already hold.
    this.deps.connectedClient()?.subscribe(topic, { qos, rh: 1 }, (error, granted) => {
      const code = granted?.[0]?.qos;
      if (error || (code !== undefined && code >= 0x80)) {
        this.deps.log.warn({ topic, error: error?.message, reasonCode: code }, 'subscription refused');
      } else {
        this.deps.log.debug({ topic, qos: code }, 'subscribed');
      }
    });
  }
}
