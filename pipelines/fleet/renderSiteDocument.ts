import { quoteUntrusted } from '../untrustedText.js';
import type { FleetLayer, FleetSiteFile } from './fleetRepoSchema.js';

/**
 * The merge that turns a fleet repository into one site's config document (README, "Fleet
 * operations"). Layers apply in order: fleet.yaml, then each group the site lists, in its order,
 * then the site file. Objects deep-merge; arrays and scalars replace; `null` removes an inherited
 * key. Cameras take the merged `cameraDefaults` under their own keys; a rule with `template: NAME`
 * takes the named template under its own keys; `schedule: NAME` (a string) on a camera or rule is
 * the named schedule. Templates and schedules of a later layer replace those of the same name.
 * The result is not validated here: the caller parses it with the site config schema.
 */

export interface NamedLayer {
  /** `fleet.yaml` or `groups/<name>.yaml`, for messages */
  readonly file: string;
  readonly layer: FleetLayer;
}

export interface RenderProblem {
  /** where in the rendered config, e.g. `cameras[0].rules[1].template` */
  readonly path: string;
  readonly message: string;
}

export interface RenderedDocument {
  /** the site config without `version`, secret references as written */
  readonly document: Record<string, unknown>;
  readonly problems: readonly RenderProblem[];
}

type Plain = Record<string, unknown>;

/** Keys that would reach Object.prototype through a merge; refused wherever they appear. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function isPlainObject(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `base` with `over` laid on top: objects merge key by key, anything else replaces, `null` deletes. */
export function deepMerge(base: unknown, over: unknown, problems: RenderProblem[] = [], path = ''): unknown {
  if (over === undefined) return clone(base);
  if (!isPlainObject(over) || !isPlainObject(base)) return clone(over);
  const out: Plain = {};
  for (const [key, value] of Object.entries(base)) if (!FORBIDDEN_KEYS.has(key)) out[key] = clone(value);
  for (const [key, value] of Object.entries(over)) {
    if (FORBIDDEN_KEYS.has(key)) {
      problems.push({ path: joinPath(path, key), message: `key ${quoteUntrusted(key)} is not allowed` });
      continue;
    }
    if (value === null) delete out[key];
    else out[key] = deepMerge(out[key], value, problems, joinPath(path, key));
  }
  return out;
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (!isPlainObject(value)) return value;
  const out: Plain = {};
  for (const [key, inner] of Object.entries(value)) if (!FORBIDDEN_KEYS.has(key)) out[key] = clone(inner);
  return out;
}

function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function renderSiteDocument(layers: readonly NamedLayer[], site: FleetSiteFile): RenderedDocument {
  const problems: RenderProblem[] = [];
  let sections: unknown = {};
  let cameraDefaults: unknown = {};
  const templates = new Map<string, Plain>();
  const schedules = new Map<string, Plain>();
  for (const { layer } of layers) {
    sections = deepMerge(sections, layer.defaults ?? {}, problems);
    cameraDefaults = deepMerge(cameraDefaults, layer.cameraDefaults ?? {}, problems, 'cameraDefaults');
    for (const [name, template] of Object.entries(layer.ruleTemplates ?? {})) templates.set(name, template);
    for (const [name, schedule] of Object.entries(layer.schedules ?? {})) schedules.set(name, schedule);
  }
  sections = deepMerge(sections, site.overrides ?? {}, problems);
  const cameras = site.cameras.map((camera, c) => renderCamera(deepMerge(cameraDefaults, camera, problems, `cameras[${c}]`) as Plain, `cameras[${c}]`));

  function renderCamera(camera: Plain, path: string): Plain {
    if (typeof camera['schedule'] === 'string') camera['schedule'] = named(schedules, 'schedule', camera['schedule'], `${path}.schedule`);
    const rules = camera['rules'];
    if (Array.isArray(rules)) camera['rules'] = rules.map((rule, r) => renderRule(rule, `${path}.rules[${r}]`));
    return camera;
  }

  function renderRule(rule: unknown, path: string): unknown {
    if (!isPlainObject(rule)) return rule;
    let out: Plain = rule;
    if (typeof rule['template'] === 'string') {
      const { template, ...own } = rule;
      out = deepMerge(named(templates, 'rule template', template as string, `${path}.template`) ?? {}, own, problems, path) as Plain;
    } else if ('template' in rule) {
      problems.push({ path: `${path}.template`, message: 'expected the name of a rule template' });
      const { template: _ignored, ...own } = rule;
      out = own;
    }
    if (typeof out['schedule'] === 'string') out['schedule'] = named(schedules, 'schedule', out['schedule'], `${path}.schedule`);
    return out;
  }

  function named(table: ReadonlyMap<string, Plain>, what: string, name: string, path: string): Plain | undefined {
    const found = table.get(name);
    if (found !== undefined) return clone(found) as Plain;
    const known = [...table.keys()].slice(0, 10);
    problems.push({
      path,
      message: `unknown ${what} ${quoteUntrusted(name)}${known.length === 0 ? ` (none defined)` : ` (defined: ${known.join(', ')}${table.size > known.length ? ', …' : ''})`}`,
    });
    return undefined;
  }

  return { document: { site: clone(site.site), ...(sections as Plain), cameras }, problems };
}
