import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeValue, formatIssues, formatPath, MAX_LISTED_ISSUES, MAX_LISTED_KEYS } from '../../../../pipelines/config/formatIssues.js';
import { parseSiteConfig } from '../../../../pipelines/config/siteConfig.js';

/**
 * formatIssues also formats documents nobody vouches for (an unsigned push's envelope, a config
 * file an operator fat-fingered): every line stays short, whatever the input.
 */

const strict = z.strictObject({ name: z.string().max(8), size: z.number(), tags: z.array(z.string()).optional() });

function problems(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  return result.success ? [] : formatIssues(result.error.issues, input);
}

const MEGABYTE_KEY = `k${'x'.repeat(1024 * 1024)}`;

describe('formatIssues', () => {
  it('names an unknown key by a short quoted prefix, not the key, however long', () => {
    const lines = problems(strict, { name: 'a', size: 1, [MEGABYTE_KEY]: 1 });
    expect(lines).toHaveLength(1);
    // the key is 1048577 characters long: 24 shown, 1048553 counted
    expect(lines[0]).toBe(`(root): unknown key(s) "k${'x'.repeat(23)}"… (1048553 more chars)`);
    expect(lines[0]!.length).toBeLessThan(300);
  });

  it('lists a few unknown keys and counts the rest', () => {
    const input: Record<string, unknown> = { name: 'a', size: 1 };
    for (let i = 0; i < 10_000; i += 1) input[`extra${i}`] = i;
    const lines = problems(strict, input);
    expect(MAX_LISTED_KEYS).toBe(3);
    expect(lines).toEqual(['(root): unknown key(s) "extra0", "extra1", "extra2" and 9997 more']);
  });

  it('lists at most MAX_LISTED_ISSUES problems and says how many more there are', () => {
    const lines = problems(
      z.array(z.number()),
      Array.from({ length: 5_000 }, () => 'not a number'),
    );
    expect(lines).toHaveLength(MAX_LISTED_ISSUES + 1);
    expect(lines[0]).toBe('[0]: Invalid input: expected number, received string (received "not a number")');
    expect(lines.at(-1)).toBe(`… and ${5_000 - MAX_LISTED_ISSUES} more problems not listed`);
  });

  it('echoes a received string as a short escaped prefix', () => {
    const [line] = problems(strict, { name: `evil\n{"level":60}${'y'.repeat(500_000)}`, size: 1 });
    expect(line).toMatch(/^name: Too big: .* \(received "evil\\n\{\\"level\\":60\}y{7}"… \(499993 more chars\)\)$/);
  });

  it('describes objects and arrays by their shape, never by serialising them', () => {
    const [objectLine] = problems(strict, { name: { nested: 'x'.repeat(100_000) }, size: 1 });
    expect(objectLine).toBe('name: Invalid input: expected string, received object (received an object)');
    const [arrayLine] = problems(strict, { name: 'a', size: Array.from({ length: 70_000 }, () => 1) });
    expect(arrayLine).toBe('size: Invalid input: expected number, received array (received an array of 70000 items)');
  });

  it('never shows part of a URL that could hold credentials', () => {
    // a password longer than the shown prefix: cutting it would leave `user:pass...` with no `@` to redact by
    const url = `rtsp://admin:${'p'.repeat(60)}@10.0.0.2/stream`;
    expect(describeValue(url)).toBe(`a "rtsp" URL of ${url.length} chars (not shown: it may hold credentials)`);
    expect(describeValue('http://broker')).toBe('"http://broker"');
  });

  it('quotes a path key the schema could not have named', () => {
    expect(formatPath(['cameras', 2, 'rules', 0, 'zone'])).toBe('cameras[2].rules[0].zone');
    expect(formatPath([])).toBe('(root)');
    expect(formatPath(['models', 'a b\n'])).toBe('models["a b\\n"]');
    expect(formatPath(['models', 'z'.repeat(10_000)])).toBe(`models["${'z'.repeat(24)}"… (9976 more chars)]`);
  });

  it('keeps the site config errors as they were for ordinary mistakes', () => {
    const result = parseSiteConfig({
      version: 1,
      site: { id: 's' },
      mqtt: { urls: ['mqtt://b'] },
      cameras: [{ id: 'c', source: { url: 'rtsp://h/a' }, fps: 5 }],
    });
    expect(result).toEqual({ ok: false, errors: ['cameras[0]: unknown key(s) "fps"'] });
  });
});
