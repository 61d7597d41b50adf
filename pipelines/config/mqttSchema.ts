import { z } from 'zod';
import { secretRef } from './common.js';

/** The MQTT link to the centre's broker cluster. */

const filePath = z.string().min(1);

/** Mutual TLS: files on the box, read at start-up; the broker's certificate and name are always verified. */
export const mqttTlsSchema = z
  .strictObject({
    /** PEM CA bundle that signed the broker's certificate; the system's CAs when omitted */
    ca: filePath.optional().describe("PEM file of the CA bundle that signed the broker's certificate. Omitted: the system's CAs."),
    /** PEM client certificate and its key: the agent's identity (mutual TLS) */
    cert: filePath.optional().describe("PEM file of the agent's client certificate (mutual TLS); needs key."),
    key: filePath.optional().describe("PEM file of the client certificate's private key; needs cert."),
    /** the name the broker's certificate must carry, when it differs from the URL's host (e.g. URLs by IP) */
    serverName: z
      .string()
      .min(1)
      .optional()
      .describe("The name the broker's certificate must carry, when it differs from the URL's host (e.g. URLs by IP address). Default: the URL's host."),
  })
  .superRefine((tls, ctx) => {
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: [tls.cert === undefined ? 'cert' : 'key'], message: 'a client certificate needs both cert and key' });
    }
  })
  .describe(
    "TLS to the broker: files on the box, read at start-up; the broker's certificate and name are always verified. With tls set, every URL must be mqtts:// or wss://.",
  );

const TLS_URL = /^(mqtts|wss|ssl):\/\//;

export const mqttSchema = z
  .strictObject({
    /** tried in order; the agent never assumes a single broker host */
    urls: z
      .array(z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'expected an mqtt://, mqtts://, ws:// or wss:// URL'))
      .min(1)
      .describe('Broker URLs (mqtt://, mqtts://, ws://, wss://), tried in order on each reconnect; at least one.'),
    prefix: z
      .string()
      .regex(/^[^#+/](?:[^#+]*[^#+/])?$/, 'expected a topic prefix without wildcards or a leading or trailing "/"')
      .default('c5')
      .describe('First level of every topic, {prefix}/{site}/...; no wildcards (#, +) and no leading or trailing "/". Default c5.'),
    /** 5 (MQTT 5, the default); 4 (MQTT 3.1.1) only for brokers that lack 5, such as the demo's */
    protocolVersion: z
      .union([z.literal(5), z.literal(4)])
      .default(5)
      .describe('MQTT protocol: 5 (MQTT 5) or 4 (MQTT 3.1.1, only for brokers without MQTT 5). Default 5.'),
    clientId: z.string().min(1).optional().describe('MQTT client id. Default c5-agent-{site.id}.'),
    username: secretRef.optional().describe('Broker username, a literal or a secret reference (env:NAME or file:/path).'),
    password: secretRef.optional().describe('Broker password, a secret reference (env:NAME or file:/path) or a literal; never logged.'),
    keepaliveSeconds: z.number().int().positive().max(3600).default(30).describe('MQTT keepalive in seconds (1..3600). Default 30.'),
    reconnectMinSeconds: z
      .number()
      .positive()
      .default(1)
      .describe('Seconds: first delay of the jittered backoff between reconnects, and of the pause after the broker refuses an alert. Default 1.'),
    reconnectMaxSeconds: z.number().positive().default(30).describe('Seconds: longest delay of that backoff. Default 30.'),
    /** MQTT 5: how long the broker keeps the agent's session (clean start is always false) */
    sessionExpirySeconds: z
      .number()
      .int()
      .min(0)
      .max(4_294_967_295)
      .default(3600)
      .describe("MQTT 5: seconds the broker keeps the agent's session after a disconnect (clean start is always false). Default 3600."),
    /** MQTT 5: the broker discards an alert no subscriber took within this long */
    messageExpirySeconds: z
      .number()
      .int()
      .positive()
      .max(4_294_967_295)
      .default(86_400)
      .describe('MQTT 5: seconds after which the broker discards an alert no subscriber took. Default 86400.'),
    tls: mqttTlsSchema.optional(),
  })
  .superRefine((mqtt, ctx) => {
    if (mqtt.tls === undefined) return;
    mqtt.urls.forEach((url, index) => {
      if (!TLS_URL.test(url)) {
        ctx.addIssue({ code: 'custom', path: ['urls', index], message: 'mqtt.tls is set, so every broker URL must be mqtts:// or wss://' });
      }
    });
  })
  .describe("The MQTT link to the centre's brokers. Changes take effect at the next restart.");

export type MqttConfig = z.output<typeof mqttSchema>;
export type MqttTlsConfig = z.output<typeof mqttTlsSchema>;
