import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSiteConfigText } from '../../../../agent/config/loadSiteConfig.js';
import { parseSiteConfig, type SiteConfigInput } from '../../../../pipelines/config/siteConfig.js';
import { ConfigError } from '../../../../pipelines/errors.js';

/**
 * Whatever arrives (a push is attacker-controlled until its signature holds, and a signed one
 * can still be wrong), the loader returns a valid config or errors that each start with a path.
 */

// `(root)`, `version`, `cameras[0].rules[1].zone`, `site.id`; keys as the schema names them, or
// quoted (`models["a b"]`); after the listed problems, a line counting the rest.
const ERROR_LINE = /^((\(root\)|[A-Za-z_$][\w$-]*(\[\d+\]|\.[\w$-]+|\["[^"]*"\])*): \S|… and \d+ more problems? not listed$)/;

function valid(): SiteConfigInput {
  return {
    version: 4,
    site: { id: 'site-p' },
    mqtt: { urls: ['mqtt://127.0.0.1:1883'], prefix: 'c5' },
    fleet: { trustedKeysFile: '/etc/c5/trusted-keys.json', stateDir: '/var/lib/c5-agent', probationSeconds: 30 },
    cameras: [
      {
        id: 'cam-a',
        source: { url: 'rtsp://10.0.0.2/a', loop: false },
        analyticsFps: 5,
        zones: [
          {
            id: 'gate',
            polygon: [
              [0, 0],
              [1, 0],
              [1, 1],
            ],
          },
        ],
        rules: [
          { id: 'in-gate', type: 'zone_intrusion', zone: 'gate', labels: ['person'], minScore: 0.5 },
          { id: 'cars', type: 'object_present', labels: ['car'] },
        ],
      },
      { id: 'cam-b', source: { url: 'rtsp://10.0.0.3/b' } },
    ],
  };
}

/** Every path to a value inside a JSON document, root first. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(value)) value.forEach((item, index) => out.push(...pathsOf(item, [...prefix, index])));
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) out.push(...pathsOf(item, [...prefix, key]));
  }
  return out;
}

type Mutation = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'addKey'; key: string; value: unknown };

function mutate(document: unknown, path: (string | number)[], mutation: Mutation): unknown {
  if (path.length === 0) {
    if (mutation.kind === 'set') return mutation.value;
    if (mutation.kind === 'delete') return undefined;
    return document !== null && typeof document === 'object' && !Array.isArray(document) ? { ...document, [mutation.key]: mutation.value } : document;
  }
  const [head, ...rest] = path;
  if (Array.isArray(document)) {
    const copy = [...document];
    if (rest.length === 0 && mutation.kind === 'delete') copy.splice(head as number, 1);
    else copy[head as number] = mutate(copy[head as number], rest, mutation);
    return copy;
  }
  const copy = { ...(document as Record<string, unknown>) };
  if (rest.length === 0 && mutation.kind === 'delete') delete copy[head as string];
  else copy[head as string] = mutate(copy[head as string], rest, mutation);
  return copy;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ kind: fc.constant('set' as const), value: fc.constantFrom(-1, 0, 1.5, 2, '', 'gate', 'x'.repeat(80), null, [], {}, [[0, 0]], true) }),
  fc.constant({ kind: 'delete' as const }),
  fc.record({ kind: fc.constant('addKey' as const), key: fc.string({ maxLength: 8 }), value: fc.jsonValue({ maxDepth: 2 }) }),
);

function expectConfigOrPathedErrors(input: unknown): void {
  const result = parseSiteConfig(input);
  if (result.ok) {
    expect(result.config.cameras.length).toBeGreaterThan(0);
    return;
  }
  expect(result.errors.length).toBeGreaterThan(0);
  for (const line of result.errors) expect(line).toMatch(ERROR_LINE);
}

describe('site config loader, property-based', () => {
  it('accepts the unmutated base document', () => {
    expect(parseSiteConfig(valid()).ok).toBe(true);
  });

  it('never throws on arbitrary JSON; yields a config or errors that name a path', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectConfigOrPathedErrors(value)),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary mutations of a valid config; yields a config or errors that name a path', () => {
    const base = valid();
    const paths = pathsOf(base);
    const arb = fc.array(fc.tuple(fc.constantFrom(...paths), mutationArb), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(arb, (mutations) => {
        let document: unknown = base;
        for (const [path, mutation] of mutations) document = mutate(document, path, mutation);
        expectConfigOrPathedErrors(document);
      }),
      { numRuns: 1000 },
    );
  });

  it('the text loader throws only ConfigError with a code, its lines naming a path, for arbitrary text and JSON', () => {
    const textArb = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'),
      fc.tuple(fc.constantFrom(...pathsOf(valid())), mutationArb).map(([path, mutation]) => JSON.stringify(mutate(valid(), path, mutation)) ?? 'null'),
    );
    fc.assert(
      fc.property(textArb, (text) => {
        try {
          const loaded = parseSiteConfigText(text, 'push', {});
          expect(loaded.sha256).toMatch(/^[0-9a-f]{64}$/);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          const { code, message } = error as ConfigError;
          expect(['config_syntax', 'config_invalid', 'secret_unresolved']).toContain(code);
          if (code === 'config_invalid') {
            for (const line of message.split('\n').slice(1)) expect(line.trim()).toMatch(ERROR_LINE);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
