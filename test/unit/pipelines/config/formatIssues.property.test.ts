import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIssues, siteConfigSchema } from '../../../../pipelines/config/siteConfig.js';
import { cpuTimeRatio } from '../../../helpers/cpuTime.js';

/**
 * A config's error text is built from what its author wrote, and for a push that is anyone until
 * the signature holds (the envelope is formatted by the same code): the time to format the
 * issues and the size of the text must not grow faster than the document. Each shape is timed at
 * 100 KB and 1 MB in the same run; linear is about 10x, quadratic about 100x. (Zod's own
 * validation is outside this measure; checkPush.property.test.ts times the whole unsigned path.)
 */

function site(camera: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    site: { id: 's' },
    mqtt: { urls: ['mqtt://127.0.0.1:1883'] },
    cameras: [{ id: 'cam', source: { url: 'rtsp://10.0.0.2/a' }, ...camera }],
    ...extra,
  };
}

/** A document of about `size` characters, runs of `marker` wherever the author chooses text. */
const shapes: Record<string, (size: number, marker: string) => unknown> = {
  'one huge unknown key': (size, m) => site({ [m.repeat(size)]: 1 }),
  'many unknown keys': (size, m) => site(Object.fromEntries(Array.from({ length: size / 10 }, (_, i) => [`${m}${i}`, 1]))),
  'a huge string where a number goes': (size, m) => site({ analyticsFps: m.repeat(size) }),
  'a huge string where a URL goes': (size, m) => site({}, { mqtt: { urls: [`http://${m.repeat(size)}@h`] } }),
  'many invalid cameras': (size, m) => ({ ...site({}), cameras: Array.from({ length: size / 200 }, () => ({ id: '-', source: m.repeat(190) })) }),
  'a huge array where a string goes': (size) => site({ id: Array.from({ length: size / 2 }, () => 0) }),
};

describe('site config errors stay short and take linear time to format', () => {
  it.each(Object.keys(shapes))('%s: 1 MB takes less than 20x the time of 100 KB', (name) => {
    fc.assert(
      fc.property(fc.constantFrom('x', 'Q', 'é', '\n'), (marker) => {
        const [small, large] = [100_000, 1_000_000].map((size) => {
          const document = shapes[name]!(size, marker);
          const result = siteConfigSchema.safeParse(document);
          if (result.success) throw new Error(`${name}: expected the document to be refused`);
          return { document, issues: result.error.issues };
        });
        const lines = formatIssues(large!.issues, large!.document);
        expect(lines.length).toBeLessThanOrEqual(21);
        for (const line of lines) expect(line.length).toBeLessThan(320);
        expect(lines.join('\n')).not.toContain(marker.repeat(25));
        const ratio = cpuTimeRatio(
          () => formatIssues(small!.issues, small!.document),
          () => formatIssues(large!.issues, large!.document),
          9,
        );
        expect(ratio).toBeLessThan(20);
      }),
      { numRuns: 2 },
    );
  });
});
