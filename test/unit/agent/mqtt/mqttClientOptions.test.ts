import { describe, expect, it } from 'vitest';
import { mqttClientOptions } from '../../../../agent/mqtt/mqttClientOptions.js';
import { fleetSchema } from '../../../../pipelines/config/fleetSchema.js';
import { mqttSchema } from '../../../../pipelines/config/mqttSchema.js';

const will = { topic: 'c5/s/status', payload: Buffer.from('{}'), qos: 1 as const, retain: true };

describe('mqttClientOptions', () => {
  it('asks for a persistent session: clean start false, session expiry from the config', () => {
    const config = mqttSchema.parse({ urls: ['mqtt://b'], sessionExpirySeconds: 7200 });
    const options = mqttClientOptions({ config, clientId: 'c5-agent-s', connectTimeoutMs: 5_000, tls: undefined, will });
    expect(options).toMatchObject({ protocolVersion: 5, clean: false, clientId: 'c5-agent-s', properties: { sessionExpiryInterval: 7200 }, will });
    expect(options.reconnectPeriod).toBe(0);
    expect(options.rejectUnauthorized).toBeUndefined();
  });

  it('advertises a maximum packet size of the largest push plus 8 KiB for topic and properties', () => {
    const config = mqttSchema.parse({ urls: ['mqtt://b'] });
    const fleet = fleetSchema.parse({ trustedKeysFile: '/k.json', stateDir: '/s', maxPushBytes: 2 * 1024 * 1024 });
    const options = mqttClientOptions({ config, clientId: 'c', connectTimeoutMs: 1, tls: undefined, will, maxIncomingPayloadBytes: fleet.maxPushBytes });
    expect(options.properties?.maximumPacketSize).toBe(2 * 1024 * 1024 + 8 * 1024);
    // the default maxPushBytes is 1 MiB
    const byDefault = fleetSchema.parse({ trustedKeysFile: '/k.json', stateDir: '/s' }).maxPushBytes;
    expect(
      mqttClientOptions({ config, clientId: 'c', connectTimeoutMs: 1, tls: undefined, will, maxIncomingPayloadBytes: byDefault }).properties?.maximumPacketSize,
    ).toBe(1024 * 1024 + 8 * 1024);
  });

  it('keeps the limit small when the site takes no pushes', () => {
    const config = mqttSchema.parse({ urls: ['mqtt://b'] });
    expect(mqttClientOptions({ config, clientId: 'c', connectTimeoutMs: 1, tls: undefined, will }).properties?.maximumPacketSize).toBe(64 * 1024 + 8 * 1024);
  });

  it('leaves MQTT 5 properties out for an MQTT 3.1.1 broker', () => {
    const config = mqttSchema.parse({ urls: ['mqtt://b'], protocolVersion: 4 });
    expect(mqttClientOptions({ config, clientId: 'c', connectTimeoutMs: 1, tls: undefined, will }).properties).toBeUndefined();
  });

  it('passes the CA, client certificate and key, and always verifies the broker', () => {
    const config = mqttSchema.parse({ urls: ['mqtts://b'], tls: { ca: '/ca.pem', cert: '/c.pem', key: '/c.key' }, username: 'u', password: 'p' });
    const tls = { ca: Buffer.from('ca'), cert: Buffer.from('cert'), key: Buffer.from('key') };
    const options = mqttClientOptions({ config, clientId: 'c', connectTimeoutMs: 1, tls, will });
    expect(options).toMatchObject({ rejectUnauthorized: true, ca: tls.ca, cert: tls.cert, key: tls.key, username: 'u', password: 'p' });
  });
});
