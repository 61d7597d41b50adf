import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { checkPush } from '../../agent/fleet/checkPush.js';
import { loadTrustedKeys } from '../../agent/fleet/trustedKeys.js';
import { redactUrlsInText } from '../../agent/observe/logger.js';
import { formatIssues, siteConfigSchema } from '../../pipelines/config/siteConfig.js';
import { fastestCpuMs, NOISE_FLOOR_MS } from '../helpers/cpuTime.js';
import { createSigner, writeTrustedKeys } from '../helpers/fleetSigner.js';

/**
 * Issue 12, case 1's root cause: work on attacker bytes that grows faster than the bytes. For
 * adversarial shapes (long runs of `a://`, `@`, `:`, unknown keys, nested JSON) drawn by
 * fast-check, redaction, config error formatting and the whole pre-signature push check must take
 * for 1 MB at most RATIO_BOUND times what they take for 100 KB, measured in the same run (linear
 * work gives 10x; the quadratic redaction of the issue gave 100x). Before the 1 MB run, a 100 KB
 * run slower than SLOW_100KB_MS fails at once, so a quadratic build fails instead of hanging.
 */

const KB = 1024;
const SMALL = 100 * KB;
const LARGE = 1024 * KB;
/** 10x the input; 30x leaves room for a machine shared by others and for GC (seen: up to 17x), and still fails the 100x of a quadratic scan. */
const RATIO_BOUND = 30;
const SLOW_100KB_MS = 2_000;
const RUNS = 9;

/**
 * Fragments an attacker repeats to make a backtracking regex or a quadratic loop work hard. A
 * long run of letters with no `://` after it (a 150 KB unknown key) is what made the old URL
 * regex quadratic: every start position scanned the rest of the run.
 */
const fragment = fc.constantFrom(
  'a://',
  '@',
  ':',
  '/',
  'a',
  'Q',
  'abc',
  '+',
  '-',
  '.',
  ' ',
  '?',
  '=',
  '&',
  'password=',
  'user=',
  '%',
  '"',
  "'",
  '#',
  '\\',
  'rtsp://u:p@h/',
  '://',
  '\n',
);
const unit = fc.array(fragment, { minLength: 1, maxLength: 8 }).map((parts) => parts.join(''));

const repeatTo = (text: string, size: number): string => text.repeat(Math.ceil(size / text.length)).slice(0, size);

/** Times `work` on the small input, then (if that was not already slow) on the large one. */
function scaling<T>(label: string, make: (size: number) => T, work: (input: T) => unknown): { small: number; large: number; ratio: number } {
  const smallInput = make(SMALL);
  // once first, on its own: it also compiles the code on the way, and a quadratic build stops here
  const first = fastestCpuMs(() => work(smallInput), 1);
  if (first > SLOW_100KB_MS) throw new Error(`${label}: ${first.toFixed(0)} ms for 100 KB; a 1 MB input would take far longer`);
  const small = fastestCpuMs(() => work(smallInput));
  const largeInput = make(LARGE);
  const large = fastestCpuMs(() => work(largeInput));
  return { small, large, ratio: large / Math.max(small, NOISE_FLOOR_MS) };
}

function expectLinear(label: string, result: { small: number; large: number; ratio: number }): void {
  console.log(`${label}: 100 KB ${result.small.toFixed(1)} ms, 1 MB ${result.large.toFixed(1)} ms, ratio ${result.ratio.toFixed(1)}`);
  expect(result.ratio, label).toBeLessThan(RATIO_BOUND);
}

const trustedDir = mkdtempSync(join(tmpdir(), 'c5-linear-'));
const signer = createSigner('linear-centre');
const trustedKeys = loadTrustedKeys(writeTrustedKeys(join(trustedDir, 'trusted-keys.json'), [signer]));
const pushChecks = {
  maxBytes: 2 * LARGE,
  trustedKeys: () => trustedKeys,
  siteId: 'linear-site',
  highWaterMark: 1,
  now: Date.now(),
  env: {},
  source: 'mqtt push',
};

describe('work on untrusted text stays linear (1 MB within a small multiple of 100 KB)', () => {
  it('redactUrlsInText', () => {
    fc.assert(
      fc.property(unit, (text) => {
        expectLinear(
          `redactUrlsInText ${JSON.stringify(text)}`,
          scaling('redactUrlsInText', (size) => repeatTo(text, size), redactUrlsInText),
        );
      }),
      { numRuns: RUNS, examples: [['a'], ['Q.'], ['a://'], ['@'], [':'], ['a://a@'], ['rtsp://u:p@h/']] },
    );
  }, 120_000);

  it('formatIssues, on unknown keys and nested values', () => {
    fc.assert(
      fc.property(unit, fc.constantFrom('many keys', 'one key', 'nested'), (text, shape) => {
        const document = (size: number): unknown => {
          if (shape === 'one key') return { version: 1, [repeatTo(text, size)]: 1 };
          if (shape === 'many keys') {
            const keys: Record<string, number> = { version: 1 };
            for (let i = 0; i * (text.length + 8) < size; i += 1) keys[`${text}${i}`] = i;
            return keys;
          }
          // an object nested as deep as the size allows, where a number belongs
          let value: unknown = text;
          for (let depth = 0; depth * (text.length + 4) < size; depth += 1) value = { [text]: value };
          return { version: value, site: [value], cameras: value };
        };
        // Only the formatting is timed: the schema's own walk over the document is zod's.
        const make = (size: number): { input: unknown; issues: z.core.$ZodIssue[] } => {
          const input = document(size);
          const result = siteConfigSchema.safeParse(input);
          return { input, issues: result.success ? [] : result.error.issues };
        };
        const work = ({ input, issues }: { input: unknown; issues: z.core.$ZodIssue[] }): string[] => formatIssues(issues, input);
        expectLinear(`formatIssues ${shape} ${JSON.stringify(text)}`, scaling('formatIssues', make, work));
      }),
      {
        numRuns: RUNS,
        examples: [
          ['a', 'one key'],
          ['a://', 'one key'],
          ['@', 'many keys'],
          [':', 'nested'],
        ],
      },
    );
  }, 120_000);

  it('checkPush, on envelopes an attacker can send', () => {
    fc.assert(
      fc.property(unit, fc.constantFrom('unknown keys', 'not json', 'nested', 'long key id'), (text, shape) => {
        const make = (size: number): Buffer => {
          const junk = repeatTo(text, size);
          if (shape === 'unknown keys') {
            const half = junk.slice(0, size / 2);
            return Buffer.from(JSON.stringify({ payload: 'AAAA', keyId: 'k', sig: 'AAAA', [half]: half }));
          }
          if (shape === 'not json') return Buffer.from(junk);
          if (shape === 'long key id') return Buffer.from(JSON.stringify({ payload: 'AAAA', keyId: junk, sig: 'AAAA' }));
          const depth = Math.floor(size / (text.length + 6));
          return Buffer.from(`${`{${JSON.stringify(text)}:`.repeat(depth)}1${'}'.repeat(depth)}`);
        };
        expectLinear(
          `checkPush ${shape} ${JSON.stringify(text)}`,
          scaling('checkPush', make, (bytes) => checkPush(bytes, pushChecks)),
        );
      }),
      {
        numRuns: RUNS,
        examples: [
          ['a', 'unknown keys'],
          ['a://', 'unknown keys'],
          ['@:', 'not json'],
          [':', 'nested'],
          ['a://a@', 'long key id'],
          ['Q', 'long key id'],
        ],
      },
    );
  }, 180_000);
});
