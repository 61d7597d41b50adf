import type { z } from 'zod';
import { ALERT_SCHEMA_NAME, alertSchema } from '../alerts.js';
import { AUDIT_CHECKPOINT_SCHEMA_NAME, auditCheckpointSchema } from '../auditCheckpoint.js';
import { STATS_SCHEMA_NAME, statsMessageSchema } from '../statsMessage.js';
import { envelopeSchema } from './configEnvelope.js';
import { configStateMessageSchema } from './configStateMessage.js';
import { cameraStatusMessageSchema, siteStatusMessageSchema } from './statusMessages.js';

/**
 * The MQTT interface as data: one entry per topic the agent publishes or subscribes, with the
 * zod schema of its payload. The AsyncAPI contract (`config/asyncapi.yaml`), the JSON Schema
 * files, the reference consumer and the tests' contract checks are all read from this list, and
 * the addresses mirror the builders of `agent/mqtt/topics.ts` (a test compares the two).
 */

export type WireChannelId = 'siteStatus' | 'cameraStatus' | 'alerts' | 'stats' | 'configPush' | 'configState' | 'auditCheckpoint';

export interface WireChannel {
  readonly id: WireChannelId;
  /** AsyncAPI address: `{prefix}`, `{siteId}`, `{cameraId}` are one topic level each, except `{prefix}` */
  readonly address: string;
  /** the agent's side: `send` it publishes, `receive` it subscribes (the centre publishes) */
  readonly action: 'send' | 'receive';
  readonly qos: 0 | 1;
  readonly retain: boolean;
  /** MQTT 5 payload format indicator set by the publisher (UTF-8 text) */
  readonly payloadFormatIndicator: boolean;
  /** MQTT 5 user property `schema` on each message, when the agent sets one */
  readonly schemaUserProperty?: string;
  readonly message: {
    readonly name: string;
    readonly title: string;
    readonly summary: string;
    readonly description: string;
    readonly schema: z.ZodType;
    /** JSON Schema file under `config/` generated from `schema` */
    readonly schemaFile: string;
  };
  readonly description: string;
}

export const WIRE_CHANNELS: readonly WireChannel[] = [
  {
    id: 'siteStatus',
    address: '{prefix}/{siteId}/status',
    action: 'send',
    qos: 1,
    retain: true,
    payloadFormatIndicator: false,
    description:
      'Retained site status, also the Last Will (offline, connection_lost) registered at connect. degraded: connected, but something on the delivery path needs attention (reasons outbox_unwritable, publish_refused); offline with reason shutdown after a clean stop.',
    message: {
      name: 'siteStatus',
      title: 'Site status',
      summary: 'online / degraded / offline, the agent version and the config version in effect',
      description: 'Written at connect, on every change of state, degraded reasons or config version, and by the broker as the Last Will.',
      schema: siteStatusMessageSchema,
      schemaFile: 'schemas/site-status.schema.json',
    },
  },
  {
    id: 'cameraStatus',
    address: '{prefix}/{siteId}/{cameraId}/status',
    action: 'send',
    qos: 1,
    retain: true,
    payloadFormatIndicator: false,
    description:
      'Retained state of one camera: online when frames flow, offline with a machine-readable reason (stalled, unreachable, unauthorized, removed, ...).',
    message: {
      name: 'cameraStatus',
      title: 'Camera status',
      summary: "one camera's state, reason and since when",
      description: 'Published on every state change of the camera; credentials in the detail are redacted.',
      schema: cameraStatusMessageSchema,
      schemaFile: 'schemas/camera-status.schema.json',
    },
  },
  {
    id: 'alerts',
    address: '{prefix}/{siteId}/{cameraId}/alerts',
    action: 'send',
    qos: 1,
    retain: false,
    payloadFormatIndicator: true,
    schemaUserProperty: ALERT_SCHEMA_NAME,
    description:
      'Alerts of one camera, QoS 1, not retained, with the message expiry of mqtt.messageExpirySeconds when set. Delivery is at least once from the outbox: de-duplicate on id; seq rises by one per alert of the agent, across restarts.',
    message: {
      name: 'alert',
      title: ALERT_SCHEMA_NAME,
      summary: 'what a camera saw, decided by a rule; never pixels',
      description: 'An event of a rule: start once, update when what the centre cares about changed, end once. audit points at its record in the audit log.',
      schema: alertSchema,
      schemaFile: 'alert.schema.json',
    },
  },
  {
    id: 'stats',
    address: '{prefix}/{siteId}/stats',
    action: 'send',
    qos: 0,
    retain: false,
    payloadFormatIndicator: true,
    schemaUserProperty: STATS_SCHEMA_NAME,
    description: 'Periodic summary every stats.intervalSeconds, QoS 0, not retained: rates over the interval from the same metrics Prometheus scrapes.',
    message: {
      name: 'stats',
      title: STATS_SCHEMA_NAME,
      summary: 'per-camera fps by outcome, per-model inference, alerts, outbox depth, MQTT state',
      description:
        'p95Ms is interpolated within histogram buckets as histogram_quantile() does; meanMs and p95Ms are null for a model that ran nothing in the interval.',
      schema: statsMessageSchema,
      schemaFile: 'schemas/stats.schema.json',
    },
  },
  {
    id: 'configPush',
    address: '{prefix}/{siteId}/config/push',
    action: 'receive',
    qos: 1,
    retain: true,
    payloadFormatIndicator: false,
    description:
      'Signed config pushes from the centre, published retained (with a message expiry) so a site that is offline applies the push when it reconnects. The agent checks the signature against its trusted keys, the site id, the version high-water mark and the expiry, then reports on config/state.',
    message: {
      name: 'configEnvelope',
      title: 'Signed config envelope',
      summary: "a site config's exact bytes, Ed25519-signed with a key id and an optional expiry",
      description: 'Made by c5-agent config sign or c5-agent fleet push.',
      schema: envelopeSchema,
      schemaFile: 'schemas/config-envelope.schema.json',
    },
  },
  {
    id: 'configState',
    address: '{prefix}/{siteId}/config/state',
    action: 'send',
    qos: 1,
    retain: true,
    payloadFormatIndicator: false,
    description:
      'Retained result of the last push handled: applied, rejected or rolled_back, naming configs by version and sha256, never by content. Unverified pushes (bad signature, unknown key, ...) are counted but never reported here.',
    message: {
      name: 'configState',
      title: 'Config state report',
      summary: 'what became of the last push, and the config running afterwards',
      description: 'One report per push handled; fleet status and fleet push read them.',
      schema: configStateMessageSchema,
      schemaFile: 'schemas/config-state.schema.json',
    },
  },
  {
    id: 'auditCheckpoint',
    address: '{prefix}/{siteId}/audit/checkpoint',
    action: 'send',
    qos: 1,
    retain: true,
    payloadFormatIndicator: true,
    schemaUserProperty: AUDIT_CHECKPOINT_SCHEMA_NAME,
    description:
      "Retained signed head of the box's audit log; the centre keeps every one, so a log rewritten later contradicts a checkpoint the box cannot take back.",
    message: {
      name: 'auditCheckpoint',
      title: AUDIT_CHECKPOINT_SCHEMA_NAME,
      summary: "the audit log's newest record seq and hash, Ed25519-signed by the box",
      description: 'sig is over checkpointSigningText(); verify with c5-agent audit verify --checkpoints.',
      schema: auditCheckpointSchema,
      schemaFile: 'schemas/audit-checkpoint.schema.json',
    },
  },
];

export function wireChannel(id: WireChannelId): WireChannel {
  const found = WIRE_CHANNELS.find((channel) => channel.id === id);
  if (!found) throw new Error(`no wire channel ${id}`);
  return found;
}

export interface WireTopicMatch {
  readonly channel: WireChannel;
  readonly prefix: string;
  readonly siteId: string;
  readonly cameraId?: string;
}

/**
 * Which channel a topic belongs to. With `prefix` given only that prefix matches; without it the
 * prefix may be several levels and the reading with the shortest prefix wins, so
 * `c5/s/cam/status` is a camera's status rather than a site `s/cam`'s. Linear in the topic.
 */
export function matchWireTopic(topic: string, prefix?: string): WireTopicMatch | undefined {
  const levels = topic.split('/');
  let best: WireTopicMatch | undefined;
  for (const channel of WIRE_CHANNELS) {
    const pattern = channel.address.split('/').slice(1);
    if (levels.length < pattern.length + 1) continue;
    const head = levels.slice(0, levels.length - pattern.length).join('/');
    if (prefix !== undefined && head !== prefix) continue;
    const tail = levels.slice(levels.length - pattern.length);
    const values: Record<string, string> = {};
    const fits = pattern.every((part, index) => {
      const value = tail[index] ?? '';
      if (part.startsWith('{')) {
        values[part] = value;
        return value.length > 0;
      }
      return value === part;
    });
    if (!fits || head.length === 0) continue;
    const siteId = values['{siteId}'] ?? '';
    const cameraId = values['{cameraId}'];
    if (best === undefined || head.length < best.prefix.length) best = { channel, prefix: head, siteId, ...(cameraId === undefined ? {} : { cameraId }) };
  }
  return best;
}
