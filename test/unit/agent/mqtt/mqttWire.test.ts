import { describe, expect, it } from 'vitest';
import { brokerEndpoint, describeConnectionError, reasonName } from '../../../../agent/mqtt/mqttWire.js';
import { PublishError } from '../../../../pipelines/errors.js';

describe('brokerEndpoint', () => {
  it('splits a URL into the options MQTT.js connects with, defaulting the port per scheme', () => {
    expect(brokerEndpoint('mqtt://broker-1.c5.local').options).toEqual({
      protocol: 'mqtt',
      host: 'broker-1.c5.local',
      hostname: 'broker-1.c5.local',
      port: 1883,
    });
    expect(brokerEndpoint('mqtts://10.0.0.2:8884').options.port).toBe(8884);
    expect(brokerEndpoint('mqtts://b').options.port).toBe(8883);
    expect(brokerEndpoint('wss://b/mqtt?x=1').options).toMatchObject({ protocol: 'wss', port: 443, path: '/mqtt?x=1' });
    expect(brokerEndpoint('mqtt://[::1]:1884').options).toMatchObject({ host: '::1', port: 1884 });
  });

  it('names the TLS server per endpoint, so failover checks the right certificate name', () => {
    expect(brokerEndpoint('mqtts://broker-2.c5.local').options.servername).toBe('broker-2.c5.local');
    expect(brokerEndpoint('mqtts://10.0.0.2').options.servername).toBeUndefined();
    expect(brokerEndpoint('mqtt://broker-2.c5.local').options.servername).toBeUndefined();
  });

  it('checks every TLS endpoint against mqtt.tls.serverName when one is set (URLs by IP address)', () => {
    expect(brokerEndpoint('mqtts://10.0.0.2', 'broker.c5.example').options.servername).toBe('broker.c5.example');
    expect(brokerEndpoint('wss://broker-2.c5.local/mqtt', 'broker.c5.example').options.servername).toBe('broker.c5.example');
    expect(brokerEndpoint('mqtt://10.0.0.2', 'broker.c5.example').options.servername).toBeUndefined();
  });

  it('never gives a TCP endpoint a path (MQTT.js would treat it as a Unix socket)', () => {
    expect(brokerEndpoint('mqtt://b:1883/').options.path).toBeUndefined();
  });

  it('redacts credentials for logging', () => {
    const endpoint = brokerEndpoint('mqtt://agent:hunter2@b:1883');
    expect(endpoint.redacted).not.toContain('hunter2');
    expect(endpoint.url).toContain('hunter2');
  });

  it('refuses unsupported or unparseable URLs without echoing secrets', () => {
    expect(() => brokerEndpoint('http://b')).toThrow(PublishError);
    try {
      brokerEndpoint('nonsense:// user:pw@');
      expect.unreachable();
    } catch (error) {
      expect((error as PublishError).code).toBe('invalid_broker_url');
      expect((error as Error).message).not.toContain(':pw@');
    }
  });
});

describe('reasonName', () => {
  it('names MQTT 5 reason codes in snake_case', () => {
    expect(reasonName(0x87)).toBe('not_authorized');
    expect(reasonName(0x97)).toBe('quota_exceeded');
    expect(reasonName(0x95)).toBe('packet_too_large');
    expect(reasonName(0)).toBe('success');
    expect(reasonName(0xfe)).toBe('reason_0xfe');
  });
});

describe('describeConnectionError', () => {
  const failure = (code: unknown, message = 'x'): Error & { code?: unknown } => Object.assign(new Error(message), { code });

  it('says which side of a TLS handshake refused what, and which setting to look at', () => {
    expect(describeConnectionError(failure('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'))).toBe(
      'TLS: the broker requires a client certificate and none was sent (set mqtt.tls.cert and mqtt.tls.key) [ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED]',
    );
    expect(describeConnectionError(failure('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'))).toContain('not signed by a CA the broker trusts');
    expect(describeConnectionError(failure('SELF_SIGNED_CERT_IN_CHAIN'))).toContain('set mqtt.tls.ca');
    expect(describeConnectionError(failure('ERR_TLS_CERT_ALTNAME_INVALID'))).toContain('mqtt.tls.serverName');
  });

  it('names CONNACK reason codes, and keeps the first line of anything else', () => {
    expect(describeConnectionError(failure(0x87))).toBe('not_authorized (0x87)');
    expect(describeConnectionError(failure('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'))).toBe('ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1');
    expect(describeConnectionError(failure(undefined, 'first line\n  at openssl.c:12'))).toBe('first line');
  });
});
