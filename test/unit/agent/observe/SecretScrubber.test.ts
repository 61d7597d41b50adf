import { describe, expect, it } from 'vitest';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { SecretScrubber } from '../../../../agent/observe/SecretScrubber.js';

describe('SecretScrubber', () => {
  it('replaces a secret as written, percent-encoded, percent-decoded and JSON-escaped', () => {
    const scrubber = new SecretScrubber();
    expect(scrubber.add('Pa ss"w/rd#1é')).toBe(true);
    const forms = [
      'Pa ss"w/rd#1é',
      'Pa%20ss%22w%2Frd%231%C3%A9', // encodeURIComponent, written out by hand
      'Pa+ss%22w%2Frd%231%C3%A9',
      'Pa ss\\"w/rd#1é', // inside a JSON string
      'Pa ss\\"w/rd#1\\u00e9', // JSON with non-ASCII escaped (quoteUntrusted)
    ];
    for (const form of forms) expect(scrubber.scrub(`before ${form} after`), form).toBe('before REDACTED after');
    const encoded = new SecretScrubber();
    encoded.add('Enc%2F%2313Pw');
    expect(encoded.scrub('x Enc/#13Pw y Enc%2F%2313Pw')).toBe('x REDACTED y REDACTED');
  });

  it('leaves text without a secret as the same string and short secrets alone', () => {
    const scrubber = new SecretScrubber();
    const text = 'camera gate-1 online';
    expect(scrubber.scrub(text)).toBe(text);
    expect(scrubber.add('pw1')).toBe(false);
    expect(scrubber.size).toBe(0);
    expect(
      scrubber.addAll([
        { name: 'mqtt.password', value: 'abc' },
        { name: 'cameras[0]', value: 'long-enough' },
      ]),
    ).toEqual(['mqtt.password']);
    expect(scrubber.scrub('pw1 abc long-enough')).toBe('pw1 abc REDACTED');
  });

  it('replaces the longer of two overlapping secrets whole', () => {
    const scrubber = new SecretScrubber();
    scrubber.add('hunter');
    scrubber.add('hunter2hunter2');
    expect(scrubber.scrub('a hunter2hunter2 b hunter c')).toBe('a REDACTED b REDACTED c');
  });

  it('treats regular-expression characters in a secret as plain text', () => {
    const scrubber = new SecretScrubber();
    scrubber.add('a.b*c(d)[e]|f$^');
    expect(scrubber.scrub('xa.b*c(d)[e]|f$^y aXbbbc')).toBe('xREDACTEDy aXbbbc');
  });

  it('scrubs buffers only when a secret occurs, and JSON-like values without touching clean parts', () => {
    const scrubber = new SecretScrubber();
    scrubber.add('s3cret-token');
    const clean = Buffer.from('{"state":"online"}');
    expect(scrubber.scrubBytes(clean)).toBe(clean);
    expect(scrubber.scrubBytes(Buffer.from('{"detail":"s3cret-token"}')).toString()).toBe('{"detail":"REDACTED"}');
    const untouched = { type: 'camera', reasons: ['a', 'b'], nested: { n: 1 } };
    expect(scrubber.scrubValue(untouched)).toBe(untouched);
    const leaky = { type: 'camera', reasons: ['x s3cret-token'], nested: { keep: 1, 's3cret-token': 'v' } };
    expect(scrubber.scrubValue(leaky)).toEqual({ type: 'camera', reasons: ['x REDACTED'], nested: { keep: 1, REDACTED: 'v' } });
    expect(leaky.reasons[0]).toBe('x s3cret-token');
  });

  it('is the last step of every log line: message, fields, error text and stack', () => {
    const scrubber = new SecretScrubber();
    const lines: string[] = [];
    const logger = createRootLogger({ level: 'info', scrubber, destination: { write: (line: string) => void lines.push(line) } });
    // added after the logger exists: the agent creates the logger before it reads the config
    scrubber.add('Xm"Pass1');
    const child = logger.child({ component: 'ingest', camera: 'gate-1' });
    child.info({ url: 'rtsp://10.0.0.5/user=admin&password=Xm"Pass1', nested: { deep: ['Xm"Pass1'] } }, 'spawning with Xm"Pass1');
    child.error({ err: new Error('auth failed for Xm"Pass1') }, 'failed');
    const text = lines.join('');
    expect(text).not.toContain('Pass1');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'spawning with REDACTED', nested: { deep: ['REDACTED'] } });
  });
});
