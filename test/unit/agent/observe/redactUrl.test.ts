import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCredentialParamName, redactUrl, redactUrlsInText } from '../../../../agent/observe/redactUrl.js';
import { CREDENTIAL_URL_CASES, credentialUrl } from '../../../fixtures/credentialUrls.js';
import { fastestCpuMs, NOISE_FLOOR_MS } from '../../../helpers/cpuTime.js';

const HOST = '10.1.2.3:554';

describe('redactUrl', () => {
  it.each(CREDENTIAL_URL_CASES)('keeps the secret of "$shape" out of the redacted URL', (testCase) => {
    const url = credentialUrl(testCase, HOST);
    const redacted = redactUrl(url);
    for (const secret of testCase.secrets) expect(redacted).not.toContain(secret);
    // the host stays readable: the log line must still say which camera failed
    expect(redacted).toContain(HOST);
  });

  it.each(CREDENTIAL_URL_CASES)('keeps the secret of "$shape" out of free text quoting it as ffmpeg does', (testCase) => {
    const url = credentialUrl(testCase, HOST);
    const text = [
      `[rtsp @ 0x55d1c0] method DESCRIBE failed: 401 Unauthorized`,
      `Input #0, rtsp, from '${url}':`,
      `${url}: Connection refused`,
      `{"msg":"spawning ffmpeg","args":["-i","${url.replace(/"/g, '\\"')}"]}`,
    ].join('\n');
    const redacted = redactUrlsInText(text);
    for (const secret of testCase.secrets) expect(redacted).not.toContain(secret);
    expect(redacted).toContain('[rtsp @ 0x55d1c0] method DESCRIBE failed: 401 Unauthorized');
    expect(redacted).toContain(': Connection refused');
  });

  it('writes the redacted forms the logs and tests rely on', () => {
    expect(redactUrl('rtsp://admin:hunter2@10.1.2.3:554/stream?token=abc&channel=1')).toBe(
      'rtsp://REDACTED:REDACTED@10.1.2.3:554/stream?token=REDACTED&channel=1',
    );
    expect(redactUrl('rtsp://admin@10.0.0.5/x')).toBe('rtsp://REDACTED@10.0.0.5/x');
    expect(redactUrl('rtsp://10.0.0.5/user=admin&password=XmPass1&channel=1&stream=0.sdp')).toBe(
      'rtsp://10.0.0.5/user=REDACTED&password=REDACTED&channel=1&stream=0.sdp',
    );
    expect(redactUrl('rtsp://admin:a/b#c@[fe80::1]:554/x')).toBe('rtsp://REDACTED:REDACTED@[fe80::1]:554/x');
    expect(redactUrl('http://cam/snap.jpg?PWD=x1&Sig=abc;session=9')).toBe('http://cam/snap.jpg?PWD=REDACTED&Sig=REDACTED;session=REDACTED');
    // nothing to hide: unchanged, byte for byte
    for (const plain of ['rtsp://10.0.0.5:554/Streaming/Channels/101', 'clips/plaza.mp4', '/var/lib/c5/x?y=1', '']) {
      expect(redactUrl(plain)).toBe(plain);
    }
  });

  it('redacts every URL of a text and leaves the rest of it alone', () => {
    const text = 'failover from mqtt://agent:pw-one@b1:1883 to mqtts://agent:pw-two@b2:8883,rtsp://u:pw-three@cam/x [tcp @ 0x1] done';
    const redacted = redactUrlsInText(text);
    expect(redacted).toBe(
      'failover from mqtt://REDACTED:REDACTED@b1:1883 to mqtts://REDACTED:REDACTED@b2:8883,rtsp://REDACTED:REDACTED@cam/x [tcp @ 0x1] done',
    );
    expect(redactUrlsInText('no url here: a://')).toBe('no url here: a://');
    expect(redactUrlsInText('://x@y ://')).toBe('://x@y ://');
  });

  it('treats credential parameter names case-insensitively and leaves ordinary ones', () => {
    for (const name of [
      'user',
      'Username',
      'login',
      'pass',
      'PASSWORD',
      'passwd',
      'pwd',
      'loginpas',
      'token',
      'access_token',
      'api_key',
      'apikey',
      'key',
      'secret',
      'auth',
      'signature',
      'sig',
      'X-Amz-Signature',
    ]) {
      expect(isCredentialParamName(name), name).toBe(true);
    }
    for (const name of ['channel', 'subtype', 'stream', 'resolution', 'fps', '']) expect(isCredentialParamName(name), name).toBe(false);
  });

  it('never lets a secret through, whatever surrounds the URL (property)', () => {
    const noise = fc.string({ maxLength: 40 }).filter((s) => !s.includes('S3cretZ'));
    fc.assert(
      fc.property(noise, noise, fc.constantFrom(...CREDENTIAL_URL_CASES.filter((c) => c.url.includes('@{host}'))), (before, after, testCase) => {
        const url = credentialUrl(testCase, HOST).replace(testCase.secrets[0]!, 'S3cretZ');
        // free text quotes a URL after a separator; glued to a word, the scheme would be another one
        const text = `${before}\n${url}\n${after}`;
        expect(redactUrlsInText(text)).not.toContain('S3cretZ');
        expect(redactUrl(url)).not.toContain('S3cretZ');
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * The least CPU time of several calls, in ms: CPU time, so waiting for a core on a shared machine
 * does not count, and the least, so a garbage collection in one call does not decide the ratio.
 */
describe('redaction time is linear in the input', () => {
  // Inputs an attacker shapes against a scanner: long runs with no terminator, many URL starts,
  // many "@", a key that never ends. 1 MB must take within a small multiple of 10 x 100 KB.
  const shapes: Record<string, (size: number) => string> = {
    'one unbroken token': (size) => `rtsp://${'a'.repeat(size)}`,
    'URL starts back to back': (size) => 'a://'.repeat(size / 4),
    'many @ in a userinfo window': (size) => `rtsp://${'@ '.repeat(size / 2)}`,
    'long parameter names': (size) => `http://h/${'k'.repeat(size - 20)}=v&password=x`,
    'credential names with long values': (size) => `http://h/?${'password=x&'.repeat(size / 11)}`,
    'scheme characters with no ://': (size) => 'abc+-.'.repeat(size / 6),
    'an unknown key listing (the push case)': (size) => `unknown key(s) "${'x'.repeat(size)}://@a"`,
  };
  it.each(Object.entries(shapes))('%s', (_name, make) => {
    const small = make(100_000);
    const large = make(1_000_000);
    redactUrlsInText(small); // warm up the JIT before measuring
    redactUrl(small);
    for (const redact of [redactUrlsInText, redactUrl]) {
      const smallMs = Math.max(
        fastestCpuMs(() => redact(small)),
        NOISE_FLOOR_MS,
      );
      const largeMs = fastestCpuMs(() => redact(large));
      // linear: about 10x (seen up to 17x on a shared machine); a quadratic scan would be about 100x
      expect(largeMs / smallMs, `${redact.name}: 100 KB ${smallMs.toFixed(1)} ms, 1 MB ${largeMs.toFixed(1)} ms`).toBeLessThan(30);
    }
  });
});
