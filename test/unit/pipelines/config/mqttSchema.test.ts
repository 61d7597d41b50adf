import { describe, expect, it } from 'vitest';
import { mqttSchema } from '../../../../pipelines/config/mqttSchema.js';
import { DEFAULT_OUTBOX_PATH, outboxPathFrom, outboxSchema } from '../../../../pipelines/config/outboxSchema.js';
import { formatIssues } from '../../../../pipelines/config/siteConfig.js';

function problems(schema: typeof mqttSchema | typeof outboxSchema, input: unknown): string[] {
  const result = schema.safeParse(input);
  return result.success ? [] : formatIssues(result.error.issues, input);
}

describe('mqtt config: sessions, expiry and TLS', () => {
  it('defaults to a one-hour persistent session and one-day alert expiry', () => {
    expect(mqttSchema.parse({ urls: ['mqtt://b'] })).toMatchObject({ sessionExpirySeconds: 3600, messageExpirySeconds: 86_400 });
  });

  it('takes CA, client certificate and key paths, and a server name', () => {
    const tls = { ca: '/etc/c5-agent/tls/ca.pem', cert: '/etc/c5-agent/tls/site.pem', key: '/etc/c5-agent/tls/site.key', serverName: 'broker.c5.example' };
    expect(mqttSchema.parse({ urls: ['mqtts://10.0.0.2:8883'], tls }).tls).toEqual(tls);
  });

  it('needs cert and key together, and TLS URLs when tls is set', () => {
    expect(problems(mqttSchema, { urls: ['mqtts://b'], tls: { cert: '/c.pem' } })).toEqual(['tls.key: a client certificate needs both cert and key']);
    expect(problems(mqttSchema, { urls: ['mqtts://a', 'mqtt://b'], tls: { ca: '/ca.pem' } })).toEqual([
      'urls[1]: mqtt.tls is set, so every broker URL must be mqtts:// or wss://',
    ]);
    expect(problems(mqttSchema, { urls: ['mqtt://b'], sessionExpirySeconds: -1 })[0]).toMatch(/^sessionExpirySeconds: Too small/);
  });
});

describe('outbox config', () => {
  it('has bounds by default and takes its file from the config, C5_OUTBOX_PATH or the default', () => {
    const settings = outboxSchema.parse({});
    expect(settings).toEqual({ maxMessages: 100_000, maxBytes: 256 * 1024 * 1024, maxAgeHours: 72, memoryMaxMessages: 10_000, retrySeconds: 10 });
    expect(outboxPathFrom(settings, {})).toBe(DEFAULT_OUTBOX_PATH);
    expect(outboxPathFrom(settings, { C5_OUTBOX_PATH: '/data/outbox.sqlite' })).toBe('/data/outbox.sqlite');
    expect(outboxPathFrom({ ...settings, path: '/x.sqlite' }, { C5_OUTBOX_PATH: '/data/outbox.sqlite' })).toBe('/x.sqlite');
  });

  it('names the field of a bad bound', () => {
    expect(problems(outboxSchema, { maxMessages: 0 })[0]).toMatch(/^maxMessages: Too small.*\(received 0\)$/);
    expect(problems(outboxSchema, { maxBytes: 1.5 })[0]).toMatch(/^maxBytes: .*\(received 1\.5\)$/);
    expect(problems(outboxSchema, { path: 'x', retries: 3 })).toEqual(['(root): unknown key(s) "retries"']);
  });
});
