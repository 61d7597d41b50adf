import type { IPublishPacket } from 'mqtt';

// Here, beside clock.ts, and not in mqtt/: observe/ (stats), audit/ (checkpoints) and fleet/ send
// messages through the MQTT link, while mqtt/ builds on observe/'s logger and metrics. Both
// sides depend on this contract; MqttLink implements it.

export type PublishProperties = NonNullable<IPublishPacket['properties']>;

export interface PublishOptions {
  readonly qos: 0 | 1;
  readonly retain: boolean;
  readonly properties?: PublishProperties;
}

/** The part of the MQTT link that a component needs to send its own messages. */
export interface MessagePublisher {
  publish(topic: string, payload: string, options: PublishOptions): Promise<void>;
}
