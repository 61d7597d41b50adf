import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generatedSchemas } from '../../../pipelines/schemas.js';
import { repoRoot } from '../../helpers/paths.js';

/**
 * Editors (VS Code's YAML extension, yaml-language-server) show a JSON Schema's `description` on
 * hover and in completion. These tests keep every field of the published schemas described, so a
 * field added without one fails CI, and keep each stated default in step with the schema's.
 */

type JsonSchema = { readonly [key: string]: unknown };

const isSchema = (value: unknown): value is JsonSchema => typeof value === 'object' && value !== null && !Array.isArray(value);

const hasDescription = (node: JsonSchema): boolean => typeof node['description'] === 'string' && node['description'].trim() !== '';

/** `$ref: "#/$defs/name"` -> the definition, so a described definition covers the fields that refer to it. */
function resolveRef(root: JsonSchema, node: JsonSchema): JsonSchema {
  const ref = node['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#/$defs/')) return node;
  const defs = root['$defs'];
  const target = isSchema(defs) ? defs[ref.slice('#/$defs/'.length)] : undefined;
  return isSchema(target) ? target : node;
}

interface Visit {
  readonly node: JsonSchema;
  /** config-style path: `cameras[].rules[](crowding).minCount` */
  readonly path: string;
  /** a named property, a record's values or a definition: what an editor shows on hover */
  readonly named: boolean;
}

/** Every schema node below the root, depth first, with a readable path. */
function* walk(node: JsonSchema, path: string, named: boolean): Generator<Visit> {
  yield { node, path, named };
  const properties = node['properties'];
  if (isSchema(properties)) {
    for (const [key, child] of Object.entries(properties)) {
      if (isSchema(child)) yield* walk(child, path ? `${path}.${key}` : key, true);
    }
  }
  const additional = node['additionalProperties'];
  if (isSchema(additional)) yield* walk(additional, `${path}{*}`, true);
  const items = node['items'];
  if (isSchema(items)) yield* walk(items, `${path}[]`, false);
  const prefixItems = node['prefixItems'];
  if (Array.isArray(prefixItems)) {
    for (const [index, child] of prefixItems.entries()) if (isSchema(child)) yield* walk(child, `${path}[${index}]`, false);
  }
  for (const keyword of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = node[keyword];
    if (!Array.isArray(branches)) continue;
    for (const [index, branch] of branches.entries()) {
      if (!isSchema(branch)) continue;
      const typeConst = isSchema(branch['properties']) && isSchema(branch['properties']['type']) ? branch['properties']['type']['const'] : undefined;
      yield* walk(branch, `${path}(${typeof typeConst === 'string' ? typeConst : `${keyword} ${index}`})`, false);
    }
  }
  const defs = node['$defs'];
  if (isSchema(defs)) {
    for (const [key, child] of Object.entries(defs)) if (isSchema(child)) yield* walk(child, `$defs.${key}`, true);
  }
}

/**
 * Paths of the nodes that lack a non-empty description: every property, record value and
 * definition, and every object (the root, an array's items, a union's branches) wherever it sits.
 */
function undescribed(root: JsonSchema): string[] {
  const missing: string[] = [];
  for (const { node, path, named } of walk(root, '', true)) {
    const isObject = node['type'] === 'object';
    if ((named || isObject) && !hasDescription(node) && !hasDescription(resolveRef(root, node))) missing.push(path || '(root)');
  }
  return missing;
}

/** Fields whose default is a value an operator would type (not `{}` for a section): where the description must name it. */
function defaultsNotStated(root: JsonSchema): string[] {
  const wrong: string[] = [];
  for (const { node, path } of walk(root, '', true)) {
    if (!('default' in node) || isSchema(node['default'])) continue;
    const description = String(node['description'] ?? '');
    const value = node['default'];
    const stated = Array.isArray(value) ? /\bDefault\b/.test(description) : description.includes(`Default ${String(value)}`);
    if (!stated) wrong.push(`${path}: default ${JSON.stringify(value)}, description ${JSON.stringify(description)}`);
  }
  return wrong;
}

const published = Object.keys(generatedSchemas()).map((name) => ({
  name,
  schema: JSON.parse(readFileSync(join(repoRoot, 'config', name), 'utf8')) as JsonSchema,
}));

describe('published JSON Schemas (config/*.schema.json)', () => {
  it('publishes the site config schema and one schema per MQTT payload', () => {
    expect(published.map(({ name }) => name).sort()).toEqual([
      'alert.schema.json',
      'schemas/audit-checkpoint.schema.json',
      'schemas/camera-status.schema.json',
      'schemas/config-envelope.schema.json',
      'schemas/config-state.schema.json',
      'schemas/site-status.schema.json',
      'schemas/stats.schema.json',
      'site.schema.json',
    ]);
  });

  it.each(published)('$name describes every field and object (editors show it on hover)', ({ schema }) => {
    expect(undescribed(schema)).toEqual([]);
  });

  it.each(published)('$name states each field default in its description, the same as the schema', ({ schema }) => {
    expect(defaultsNotStated(schema)).toEqual([]);
  });

  it('describes the site config fields an operator meets first (a walker that found nothing would pass the tests above)', () => {
    const site = published.find(({ name }) => name === 'site.schema.json')!.schema;
    const paths = [...walk(site, '', true)].filter(({ named }) => named).map(({ path }) => path);
    // One field from each section and rule type, written out by hand from the README's table.
    expect(paths).toEqual(
      expect.arrayContaining([
        'version',
        'site.id',
        'mqtt.urls',
        'mqtt.tls.serverName',
        'outbox.maxAgeHours',
        'metrics.auth.bearerToken',
        'stats.intervalSeconds',
        'audit.fsyncIntervalMs',
        'inference.models{*}',
        'inference.models{*}.intraOpNumThreads',
        'fleet.probationSeconds',
        'cameras[].source.hwDecode',
        'cameras[].tracker.maxMisses',
        'cameras[].motion.threshold',
        'cameras[].zones[].polygon',
        'cameras[].lines[].from',
        'cameras[].schedule.windows[].end',
        'cameras[].rules[](object_present).labels',
        'cameras[].rules[](zone_intrusion).inertia',
        'cameras[].rules[](line_crossing).minDisplacement',
        'cameras[].rules[](loitering).dwellSeconds',
        'cameras[].rules[](crowding).minCount',
      ]),
    );
  });
});

describe('the description check itself', () => {
  it('names every undescribed property, record value, union branch, array item object and definition, and nothing described', () => {
    const shared = z.strictObject({ inner: z.number() }).meta({ id: 'Shared' });
    const schema = z
      .strictObject({
        described: z.number().describe('a number'),
        bare: z.string(),
        wrappedDefault: z.number().default(3),
        list: z.array(z.strictObject({ leaf: z.boolean().describe('a leaf') })).describe('a list'),
        record: z.record(z.string(), z.strictObject({ value: z.number().describe('v') })).describe('a record'),
        choice: z
          .discriminatedUnion('type', [
            z.strictObject({ type: z.literal('a').describe('kind a') }).describe('branch a'),
            z.strictObject({ type: z.literal('b').describe('kind b'), extra: z.number() }),
          ])
          .describe('a choice'),
        either: z.union([z.literal(1), z.literal(2)]).describe('either'),
        refA: shared,
        refB: shared,
      })
      .describe('root');
    const json = z.toJSONSchema(schema, { io: 'input' }) as JsonSchema;

    // Worked out by hand from the schema above: literals in a union and number tuples need none.
    expect(undescribed(json).sort()).toEqual(
      ['bare', 'wrappedDefault', 'list[]', 'record{*}', 'choice(b)', 'choice(b).extra', 'refA', 'refB', '$defs.Shared', '$defs.Shared.inner'].sort(),
    );
  });

  it('accepts a described $ref and finds a missing root description and a stale default', () => {
    const json: JsonSchema = {
      type: 'object',
      properties: {
        port: { type: 'number', default: 9464, description: 'Port. Default 9463.' },
        host: { type: 'string', default: 'localhost', description: 'Host. Default localhost.' },
        days: { type: 'array', default: ['mon'], description: 'Days.' },
        section: { type: 'object', default: {}, description: 'A section.', properties: {} },
        linked: { $ref: '#/$defs/Linked' },
      },
      $defs: { Linked: { type: 'string', description: 'described at its definition' } },
    };
    expect(undescribed(json)).toEqual(['(root)']);
    expect(defaultsNotStated(json)).toEqual(['port: default 9464, description "Port. Default 9463."', 'days: default ["mon"], description "Days."']);
  });
});
