import { z } from 'zod';
import { WIRE_CHANNELS, type WireChannel } from './wireChannels.js';
import { WIRE_EXAMPLES } from './wireExamples.js';

/**
 * The AsyncAPI 3.0.0 description of the agent's MQTT interface, built from `WIRE_CHANNELS` and
 * the zod schemas; `npm run schemas` writes it to `config/asyncapi.yaml` and a test fails while
 * that file is stale. Operations are the agent's side: `send` for what it publishes, `receive`
 * for the config pushes it subscribes to; the centre does the opposite.
 */

/** Version of the MQTT contract (not of the agent): the major changes when a message stops validating. */
export const MQTT_CONTRACT_VERSION = '1.0.0';

const MQTT_BINDING_VERSION = '0.2.0';

/** A payload schema as AsyncAPI's default schema format (a superset of JSON Schema draft 7) takes it. */
export function asyncApiPayloadSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' });
  return rest;
}

const PARAMETERS = {
  prefix: {
    description: 'Topic prefix of the deployment (mqtt.prefix in the site config), default c5; may span several levels.',
    examples: ['c5'],
  },
  siteId: { description: "The site's id (site.id in its config): one topic level.", examples: ['cdmx-cuauhtemoc-0042'] },
  cameraId: { description: "The camera's id (cameras[].id): one topic level.", examples: ['plaza'] },
} as const;

function parametersOf(address: string): Record<string, unknown> {
  const names = [...address.matchAll(/\{([A-Za-z]+)\}/g)].map((match) => match[1] as keyof typeof PARAMETERS);
  return Object.fromEntries(names.map((name) => [name, PARAMETERS[name]]));
}

function operationId(channel: WireChannel): string {
  return `${channel.action === 'send' ? 'publish' : 'receive'}${channel.id.charAt(0).toUpperCase()}${channel.id.slice(1)}`;
}

function messageOf(channel: WireChannel): Record<string, unknown> {
  const { message } = channel;
  return {
    name: message.name,
    title: message.title,
    summary: message.summary,
    description: message.description,
    contentType: 'application/json',
    ...(channel.schemaUserProperty === undefined
      ? {}
      : {
          headers: {
            type: 'object',
            description: 'MQTT 5 user properties',
            properties: { schema: { type: 'string', const: channel.schemaUserProperty, description: 'names the payload schema' } },
          },
        }),
    payload: { $ref: `#/components/schemas/${message.name}` },
    examples: [WIRE_EXAMPLES[channel.id]],
    bindings: {
      mqtt: {
        contentType: 'application/json',
        ...(channel.payloadFormatIndicator ? { payloadFormatIndicator: 1 } : {}),
        bindingVersion: MQTT_BINDING_VERSION,
      },
    },
  };
}

export function asyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const channel of WIRE_CHANNELS) {
    const name = channel.message.name;
    channels[channel.id] = {
      address: channel.address,
      title: channel.message.title,
      description: channel.description,
      parameters: parametersOf(channel.address),
      messages: { [name]: { $ref: `#/components/messages/${name}` } },
    };
    operations[operationId(channel)] = {
      action: channel.action,
      channel: { $ref: `#/channels/${channel.id}` },
      summary:
        channel.action === 'send'
          ? `The agent publishes ${channel.message.title}.`
          : `The agent subscribes to ${channel.message.title}; the centre publishes it.`,
      messages: [{ $ref: `#/channels/${channel.id}/messages/${name}` }],
      bindings: { mqtt: { qos: channel.qos, retain: channel.retain, bindingVersion: MQTT_BINDING_VERSION } },
    };
    messages[name] = messageOf(channel);
    schemas[name] = asyncApiPayloadSchema(channel.message.schema);
  }
  return {
    asyncapi: '3.0.0',
    id: 'urn:c5:edge-agent:mqtt',
    info: {
      title: 'c5 edge agent MQTT interface',
      version: MQTT_CONTRACT_VERSION,
      description:
        'What one c5 edge agent (one per camera site) publishes and subscribes over its single MQTT 5 connection. ' +
        'Generated from the zod schemas in pipelines/ by `npm run schemas`; the JSON Schema of each payload is also under config/ (alert.schema.json, schemas/*.schema.json). ' +
        'Every payload is JSON (content type application/json) and every schema is strict: an unknown key is a change of the contract.',
    },
    defaultContentType: 'application/json',
    servers: {
      broker: {
        host: 'broker.example.net:8883',
        protocol: 'mqtts',
        protocolVersion: '5',
        description:
          "The site's broker(s) from mqtt.urls (mqtt:// or mqtts://, with failover). The agent connects with MQTT 5 and registers its offline site status as the Last Will.",
        bindings: {
          mqtt: {
            cleanSession: false,
            lastWill: { topic: '{prefix}/{siteId}/status', qos: 1, message: 'site status, state offline, reason connection_lost', retain: true },
            bindingVersion: MQTT_BINDING_VERSION,
          },
        },
      },
    },
    channels,
    operations,
    components: { messages, schemas },
  };
}
