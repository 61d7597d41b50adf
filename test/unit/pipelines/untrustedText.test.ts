import { describe, expect, it } from 'vitest';
import { quoteUntrusted, UNTRUSTED_ECHO_CHARS } from '../../../pipelines/untrustedText.js';

describe('quoteUntrusted', () => {
  it('quotes short text whole', () => {
    expect(quoteUntrusted('cam-1')).toBe('"cam-1"');
  });

  it('keeps only a prefix of long text and says how much was left out', () => {
    const text = `${'a'.repeat(UNTRUSTED_ECHO_CHARS)}SECRET-TAIL`;
    const quoted = quoteUntrusted(text);
    expect(quoted).toBe(`"${'a'.repeat(UNTRUSTED_ECHO_CHARS)}"… (11 more chars)`);
    expect(quoted).not.toContain('SECRET');
  });

  it('escapes quotes, newlines and anything outside printable ASCII', () => {
    expect(quoteUntrusted('a"b\nc\u001b[31m\u2028é')).toBe('"a\\"b\\nc\\u001b[31m\\u2028\\u00e9"');
  });

  it('echoes at most the limit however large the input', () => {
    const quoted = quoteUntrusted('k'.repeat(1_000_000), 10);
    expect(quoted).toBe(`"kkkkkkkkkk"… (999990 more chars)`);
  });
});
