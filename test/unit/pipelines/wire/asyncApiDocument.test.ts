import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { signEnvelope, generateSigningKey } from '../../../../agent/fleet/signing.js';
import { cameraStatusPayload, siteStatusPayload } from '../../../../agent/mqtt/statusMessages.js';
import {
  auditCheckpointTopic,
  cameraAlertsTopic,
  cameraStatusTopic,
  configPushTopic,
  configStateTopic,
  siteStatusTopic,
  statsTopic,
} from '../../../../agent/mqtt/topics.js';
import { matchWireTopic, WIRE_CHANNELS } from '../../../../pipelines/wire/wireChannels.js';
import { WIRE_EXAMPLES } from '../../../../pipelines/wire/wireExamples.js';
import { asyncApiYaml } from '../../../../scripts/asyncApiYaml.js';
import { makeAlert } from '../../../helpers/alertFixture.js';
import { ASYNCAPI_FILE, contractViolation } from '../../../helpers/mqttContract.js';
import { repoRoot } from '../../../helpers/paths.js';

const addFormats = addFormatsModule.default;

const CHECKPOINT = {
  schema: 'c5.audit-checkpoint.v1',
  siteId: 'site-a',
  seq: 812,
  hash: 'c'.repeat(64),
  time: '2026-11-29T02:00:00.000Z',
  keyId: 'ed25519-0123456789abcdef',
  publicKey: `${'A'.repeat(42)}E=`,
  sig: 'B'.repeat(86) + '==',
};

const STATS = {
  schema: 'c5.stats.v1',
  siteId: 'site-a',
  at: '2026-11-29T02:00:00.000Z',
  periodSeconds: 60,
  configVersion: 12,
  mqttConnected: true,
  cameras: [{ id: 'plaza', up: true, fps: { processed: 5, dropped: 0, skipped: 0, failed: 0 } }],
  inference: [{ model: 'yolox-nano', calls: 300, meanMs: 12.6, p95Ms: null }],
  alerts: { published: 14, failed: 0 },
  outbox: { depth: 0, oldestAgeSeconds: 0 },
  auditCheckpoint: CHECKPOINT,
};

const CONFIG_STATE = {
  siteId: 'site-a',
  status: 'rolled_back',
  version: 14,
  sha256: 'd'.repeat(64),
  keyId: 'fleet-2026',
  origin: 'mqtt',
  reason: 'probation_failed',
  error: 'camera "cam-depot" delivered no frame within 30 s',
  running: { version: 13, sha256: 'e'.repeat(64) },
  changes: { added: [], removed: [], restarted: ['cam-depot'], reconfigured: [] },
  time: '2026-03-01T12:00:31.204Z',
};

// The README's MQTT interface table, written out by hand: topic built by agent/mqtt/topics.ts -> channel, agent's action, QoS, retain.
const TOPICS = [
  { topic: siteStatusTopic('c5', 'site-a'), channel: 'siteStatus', action: 'send', qos: 1, retain: true },
  { topic: cameraStatusTopic('c5', 'site-a', 'plaza'), channel: 'cameraStatus', action: 'send', qos: 1, retain: true },
  { topic: cameraAlertsTopic('c5', 'site-a', 'plaza'), channel: 'alerts', action: 'send', qos: 1, retain: false },
  { topic: statsTopic('c5', 'site-a'), channel: 'stats', action: 'send', qos: 0, retain: false },
  { topic: configPushTopic('c5', 'site-a'), channel: 'configPush', action: 'receive', qos: 1, retain: true },
  { topic: configStateTopic('c5', 'site-a'), channel: 'configState', action: 'send', qos: 1, retain: true },
  { topic: auditCheckpointTopic('c5', 'site-a'), channel: 'auditCheckpoint', action: 'send', qos: 1, retain: true },
] as const;

describe('config/asyncapi.yaml', () => {
  it('is up to date (run `npm run schemas` if this fails)', () => {
    expect(readFileSync(ASYNCAPI_FILE, 'utf8'), 'config/asyncapi.yaml is stale').toBe(asyncApiYaml());
  });

  it('parses with the AsyncAPI parser without errors and has every topic of the MQTT interface', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(ASYNCAPI_FILE, 'utf8'));
    // Spectral severities: 0 error, 1 warning, 2 information, 3 hint.
    expect(diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`)).toEqual([]);
    expect(document).toBeDefined();
    if (!document) return;
    expect(document.version()).toBe('3.0.0');
    expect(
      document
        .channels()
        .all()
        .map((c) => c.id())
        .sort(),
    ).toEqual(TOPICS.map((t) => t.channel).sort());
    expect(document.messages().all()).toHaveLength(7);
    for (const expected of TOPICS) {
      const channel = document.channels().get(expected.channel);
      expect(channel, expected.channel).toBeDefined();
      const operations = channel?.operations().all() ?? [];
      expect(
        operations.map((op) => op.action()),
        expected.channel,
      ).toEqual([expected.action]);
      const binding = operations[0]?.bindings().get('mqtt')?.value() as { qos: number; retain: boolean } | undefined;
      expect(binding, expected.channel).toMatchObject({ qos: expected.qos, retain: expected.retain });
      expect(channel?.messages().all().length, expected.channel).toBe(1);
    }
  });

  it('addresses match the topic builders of agent/mqtt/topics.ts', () => {
    for (const expected of TOPICS) {
      const match = matchWireTopic(expected.topic);
      expect(match?.channel.id, expected.topic).toBe(expected.channel);
      expect(match?.prefix).toBe('c5');
      expect(match?.siteId).toBe('site-a');
    }
    // A prefix of several levels, given or not, and a camera named like a fixed level.
    expect(matchWireTopic('city/c5/site-a/plaza/status')?.channel.id).toBe('cameraStatus');
    expect(matchWireTopic('city/c5/site-a/status', 'city/c5')?.channel.id).toBe('siteStatus');
    expect(matchWireTopic('c5/site-a/config/status')).toMatchObject({ cameraId: 'config' });
    expect(matchWireTopic('c5/site-a/other')).toBeUndefined();
    expect(matchWireTopic('c5/site-a/status', 'c6')).toBeUndefined();
    expect(WIRE_CHANNELS.map((c) => c.id).sort()).toEqual(TOPICS.map((t) => t.channel).sort());
  });

  it("has one example per message, valid against the contract's schema and the zod schema", () => {
    for (const expected of TOPICS) {
      const channel = WIRE_CHANNELS.find((c) => c.id === expected.channel)!;
      const { payload } = WIRE_EXAMPLES[channel.id];
      expect(channel.message.schema.safeParse(payload).error, channel.id).toBeUndefined();
      if (expected.action === 'send') expect(contractViolation(expected.topic, JSON.stringify(payload)), channel.id).toBeUndefined();
    }
  });

  it("validates what the agent's own builders produce, and refuses drift", () => {
    const privateKey = createPrivateKey(generateSigningKey().privateKeyPem);
    const envelope = signEnvelope({ payload: Buffer.from('version: 2\n'), privateKey, keyId: 'fleet-2026', expiresAt: new Date('2026-12-01T00:00:00Z') });
    const good: Record<string, unknown> = {
      siteStatus: JSON.parse(
        siteStatusPayload({
          state: 'degraded',
          reasons: ['outbox_unwritable'],
          siteId: 'site-a',
          version: '0.1.0',
          configVersion: 3,
          startedAt: 1_700_000_000_000,
        }),
      ),
      cameraStatus: JSON.parse(cameraStatusPayload({ cameraId: 'plaza', state: 'offline', reason: 'stalled', detail: 'no frame', since: 1_700_000_000_000 })),
      alerts: makeAlert({ siteId: 'site-a', cameraId: 'plaza', frameTime: 1_700_000_000_000 }),
      stats: STATS,
      configState: CONFIG_STATE,
      auditCheckpoint: CHECKPOINT,
    };
    for (const expected of TOPICS) {
      if (expected.action === 'receive') {
        // The centre's side: skipped for capture, but the schema itself must take a real envelope.
        expect(contractViolation(expected.topic, JSON.stringify({ junk: true }))).toBeUndefined();
        continue;
      }
      const message = good[expected.channel];
      expect(contractViolation(expected.topic, JSON.stringify(message)), expected.channel).toBeUndefined();
      expect(contractViolation(expected.topic, JSON.stringify({ ...(message as object), extra: 1 })), expected.channel).toMatch(
        /must NOT have additional properties/,
      );
      expect(contractViolation(expected.topic, 'not json'), expected.channel).toMatch(/not JSON/);
    }
    expect(contractViolation(configStateTopic('c5', 'site-a'), JSON.stringify({ ...CONFIG_STATE, status: 'done' }))).toMatch(
      /\/status must be equal to one of the allowed values/,
    );
    expect(contractViolation(statsTopic('c5', 'site-a'), JSON.stringify({ ...STATS, at: 1 }))).toMatch(/\/at must be string/);
    expect(contractViolation('some/other/topic', 'x')).toBeUndefined();
    // A retained message being cleared.
    expect(contractViolation(siteStatusTopic('c5', 'site-a'), '')).toBeUndefined();

    // The JSON Schema files (draft 2020-12) say the same as the contract.
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    const samples: Record<string, unknown> = { ...good, configPush: envelope };
    for (const channel of WIRE_CHANNELS) {
      const schema = JSON.parse(readFileSync(join(repoRoot, 'config', channel.message.schemaFile), 'utf8')) as object;
      const validate = ajv.compile(schema);
      expect(validate(samples[channel.id]), `${channel.message.schemaFile}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(validate({ ...(samples[channel.id] as object), extra: 1 }), channel.message.schemaFile).toBe(false);
    }
  });
});
