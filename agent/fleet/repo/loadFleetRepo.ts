import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { formatIssues } from '../../../pipelines/config/formatIssues.js';
import { labelIssues, type ModelLabels } from '../../../pipelines/config/labelIssues.js';
import { parseSiteConfig, type SiteConfig } from '../../../pipelines/config/siteConfig.js';
import { ConfigError, toError } from '../../../pipelines/errors.js';
import { fleetLayerSchema, fleetSiteFileSchema, type FleetSiteFile } from '../../../pipelines/fleet/fleetRepoSchema.js';
import { renderSiteDocument, type NamedLayer } from '../../../pipelines/fleet/renderSiteDocument.js';
import { quoteUntrusted } from '../../../pipelines/untrustedText.js';
import { MAX_CONFIG_FILE_BYTES } from '../../config/loadSiteConfig.js';
import { readBoundedFile } from '../../config/readBoundedFile.js';

/**
 * Reads a fleet repository (README, "Fleet operations": fleet.yaml, groups/, sites/) and renders
 * every site: the layers merged (pipelines/fleet/renderSiteDocument.ts), then validated by the
 * site config's own schema (and, given the models' labels, the label check the agent makes), so
 * what validates here is what a box accepts. Content errors never throw: each becomes an issue
 * naming its site, file and field, and every site is tried, so one run lists everything to fix.
 */

export interface RenderedSite {
  readonly siteId: string;
  /** `sites/<id>.yaml`, relative to the repository */
  readonly file: string;
  readonly groups: readonly string[];
  /** validated, with version 1 as a placeholder (the push gives the version); secret references as written */
  readonly config: SiteConfig;
  /** the merged document without `version`: what siteConfigText() writes */
  readonly document: Readonly<Record<string, unknown>>;
}

export interface FleetIssue {
  /** undefined for a problem in fleet.yaml, a group or a file name, not one site */
  readonly siteId: string | undefined;
  readonly file: string;
  /** the field, e.g. `cameras[0].rules[1].zone`; `(root)` for the file as a whole */
  readonly path: string;
  readonly message: string;
}

export interface FleetRepo {
  readonly dir: string;
  /** the sites that rendered and validated, by id */
  readonly sites: readonly RenderedSite[];
  readonly issues: readonly FleetIssue[];
}

export interface LoadFleetRepoOptions {
  /** the labels of every model the sites use (loadModelLabels); given, each rule's labels are checked too */
  readonly models?: ReadonlyMap<string, ModelLabels>;
}

/** More files than the largest fleet planned (140,000 cameras in ~14,000 sites) by far; a bound, not a target. */
export const MAX_SITE_FILES = 100_000;
const SITE_FILE = /^([a-z0-9][a-z0-9_-]{0,62})\.yaml$/;

/** One issue line as the fleet commands print it. */
export function formatFleetIssue(issue: FleetIssue): string {
  return `${issue.siteId ?? '-'}: ${issue.file}: ${issue.path}: ${issue.message}`;
}

export function loadFleetRepo(dir: string, options: LoadFleetRepoOptions = {}): FleetRepo {
  const issues: FleetIssue[] = [];
  const fleetRead = readBoundedFile(join(dir, 'fleet.yaml'), MAX_CONFIG_FILE_BYTES);
  if (!fleetRead.ok && fleetRead.problem === 'unreadable') {
    throw new ConfigError('fleet_repo_unreadable', `${dir} is not a fleet repository: cannot read fleet.yaml (${fleetRead.reason})`);
  }
  const fleetLayer = readLayer(fleetRead.ok ? fleetRead.bytes : undefined, fleetRead.ok ? '' : fleetRead.reason, 'fleet.yaml', issues);
  // A group is read once, when a site first names it: 'missing' (no such file) or 'broken' (its issues are listed once).
  const groups = new Map<string, NamedLayer | 'missing' | 'broken'>();
  const groupLayer = (name: string): NamedLayer | 'missing' | 'broken' => {
    let layer = groups.get(name);
    if (layer === undefined) {
      const read = readBoundedFile(join(dir, 'groups', `${name}.yaml`), MAX_CONFIG_FILE_BYTES);
      if (!read.ok && read.problem === 'unreadable' && read.reason === 'ENOENT') layer = 'missing';
      else layer = readLayer(read.ok ? read.bytes : undefined, read.ok ? '' : read.reason, `groups/${name}.yaml`, issues) ?? 'broken';
      groups.set(name, layer);
    }
    return layer;
  };

  const sites: RenderedSite[] = [];
  for (const name of siteFileNames(dir, issues)) {
    const file = `sites/${name}`;
    const siteId = SITE_FILE.exec(name)![1]!;
    const add = (path: string, message: string): void => void issues.push({ siteId, file, path, message });
    const siteFile = readSiteFile(join(dir, 'sites', name), siteId, add);
    if (siteFile === undefined || fleetLayer === undefined) {
      if (siteFile !== undefined) add('(root)', 'not rendered: fleet.yaml has errors');
      continue;
    }
    const layers: NamedLayer[] = [fleetLayer];
    siteFile.groups.forEach((group, g) => {
      const layer = groupLayer(group);
      if (layer === 'missing') add(`groups[${g}]`, `unknown group "${group}" (no groups/${group}.yaml)`);
      else if (layer === 'broken') add(`groups[${g}]`, `not rendered: groups/${group}.yaml has errors`);
      else layers.push(layer);
    });
    if (layers.length !== siteFile.groups.length + 1) continue;
    const rendered = renderSiteDocument(layers, siteFile);
    for (const problem of rendered.problems) add(problem.path, problem.message);
    if (rendered.problems.length > 0) continue;
    const parsed = parseSiteConfig({ version: 1, ...rendered.document });
    if (!parsed.ok) {
      for (const line of parsed.errors) addLine(line, add);
      continue;
    }
    const labels = options.models === undefined ? [] : labelIssues(parsed.config, options.models);
    for (const line of labels) addLine(line, add);
    if (labels.length === 0) sites.push({ siteId, file, groups: siteFile.groups, config: parsed.config, document: rendered.document });
  }
  return { dir, sites, issues };
}

/** The `sites/*.yaml` names, sorted; anything else in sites/ (but dot files) is an issue, so a `.yml` is not silently skipped. */
function siteFileNames(dir: string, issues: FleetIssue[]): string[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, 'sites'));
  } catch (error) {
    issues.push({
      siteId: undefined,
      file: 'sites/',
      path: '(root)',
      message: `cannot list the sites folder (${(toError(error) as NodeJS.ErrnoException).code ?? 'error'})`,
    });
    return [];
  }
  if (names.length > MAX_SITE_FILES) {
    issues.push({ siteId: undefined, file: 'sites/', path: '(root)', message: `${names.length} files, over the limit of ${MAX_SITE_FILES}` });
    return [];
  }
  const good: string[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    if (SITE_FILE.test(name)) good.push(name);
    else
      issues.push({
        siteId: undefined,
        file: `sites/${quoteUntrusted(name)}`,
        path: '(root)',
        message: 'not a site file: expected <site-id>.yaml (lower-case letters, digits, "-" or "_", 1-63 chars)',
      });
  }
  return good.sort();
}

function readSiteFile(path: string, siteId: string, add: (path: string, message: string) => void): FleetSiteFile | undefined {
  const read = readBoundedFile(path, MAX_CONFIG_FILE_BYTES);
  if (!read.ok) return void add('(root)', `cannot read (${read.reason})`);
  const document = parseDocument(read.bytes, add);
  if (document === undefined) return undefined;
  const parsed = fleetSiteFileSchema.safeParse(document);
  if (!parsed.success) return void addIssues(parsed.error.issues, document, add);
  if (parsed.data.site.id !== siteId) return void add('site.id', `"${parsed.data.site.id}" differs from the file name (sites/${siteId}.yaml)`);
  return parsed.data;
}

/** fleet.yaml or a group; undefined (with issues) when it does not read or validate. */
function readLayer(bytes: Buffer | undefined, reason: string, file: string, issues: FleetIssue[]): NamedLayer | undefined {
  const add = (path: string, message: string): void => void issues.push({ siteId: undefined, file, path, message });
  if (bytes === undefined) return void add('(root)', `cannot read (${reason})`);
  const document = parseDocument(bytes, add);
  if (document === undefined) return undefined;
  const parsed = fleetLayerSchema.safeParse(document ?? {});
  if (!parsed.success) return void addIssues(parsed.error.issues, document, add);
  return { file, layer: parsed.data };
}

function parseDocument(bytes: Buffer, add: (path: string, message: string) => void): unknown {
  try {
    // An empty file is an empty layer, not a missing one.
    return parseYaml(bytes.toString('utf8'), { logLevel: 'error' }) ?? {};
  } catch (error) {
    const message = toError(error).message.split('\n', 1)[0]!.slice(0, 200);
    return void add('(root)', `not valid YAML: ${message}`);
  }
}

function addIssues(zodIssues: readonly z.core.$ZodIssue[], input: unknown, add: (path: string, message: string) => void): void {
  for (const line of formatIssues(zodIssues, input)) addLine(line, add);
}

/** formatIssues and labelIssues give `path: message` lines; a line without a path is about the whole document. */
function addLine(line: string, add: (path: string, message: string) => void): void {
  const colon = line.indexOf(': ');
  if (colon > 0 && !line.startsWith('…')) add(line.slice(0, colon), line.slice(colon + 2));
  else add('(root)', line);
}
