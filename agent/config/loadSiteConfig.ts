import { parse as parseYaml } from 'yaml';
import { parseSiteConfig, type SiteConfig } from '../../pipelines/config/siteConfig.js';
import { ConfigError, toError } from '../../pipelines/errors.js';
import { sha256Hex } from '../sha256Hex.js';
import { readBoundedFile } from './readBoundedFile.js';
import { resolveSecret } from './resolveSecret.js';

/**
 * A site config is a few kilobytes (the example with two cameras is 3 KB); this leaves room for
 * dozens of cameras with detailed zones and masks while refusing a 50 MB file before the YAML
 * parser spends 1.8 GB on it.
 */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

export interface LoadedSiteConfig {
  /** validated, with every secret reference resolved: never log or publish this object */
  readonly config: SiteConfig;
  /** sha256 of the exact bytes loaded; alerts and state reports carry it */
  readonly sha256: string;
  readonly source: string;
}

export interface LoadOptions {
  /** false leaves `env:`/`file:` references as written: replay reads a clip, not the camera, and needs no secret */
  readonly resolveSecrets?: boolean;
  /** sha256 of the bytes the text was decoded from, when the caller already has it; default: hashed here */
  readonly sha256?: string;
}

/**
 * Parses YAML or JSON text (YAML is a superset of JSON), validates it, and resolves secrets.
 * Every problem is reported in one error: schema and polygon errors and every secret that does
 * not resolve, each on its own line naming its field.
 */
export function parseSiteConfigText(text: string, source: string, env: NodeJS.ProcessEnv, options: LoadOptions = {}): LoadedSiteConfig {
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_CONFIG_FILE_BYTES) throw tooLarge(source, `${size} bytes, over the limit of ${MAX_CONFIG_FILE_BYTES}`);
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true, logLevel: 'error' });
  } catch (error) {
    throw new ConfigError('config_syntax', `${source}: not valid YAML or JSON: ${toError(error).message}`, { cause: error });
  }
  const resolve = options.resolveSecrets !== false;
  const result = parseSiteConfig(document);
  if (!result.ok) {
    // The secrets are tried too, so one run names everything to fix.
    const secretErrors = resolve ? resolveAll(secretRefsOf(document), env).errors : [];
    throw new ConfigError('config_invalid', `${source}: invalid site config:\n  ${[...result.errors, ...secretErrors].join('\n  ')}`);
  }
  return {
    config: resolve ? resolveSecrets(result.config, env) : result.config,
    sha256: options.sha256 ?? sha256Hex(text),
    source,
  };
}

/** Reads at most MAX_CONFIG_FILE_BYTES of a regular file (never a FIFO or device), then parses it. */
export function loadSiteConfigFile(path: string, env: NodeJS.ProcessEnv, options: LoadOptions = {}): LoadedSiteConfig {
  return parseSiteConfigText(readSiteConfigBytes(path).toString('utf8'), path, env, options);
}

/** The bytes of a config file (or a signed envelope of one), refused before reading when over `maxBytes`. */
export function readSiteConfigBytes(path: string, maxBytes: number = MAX_CONFIG_FILE_BYTES): Buffer {
  const read = readBoundedFile(path, maxBytes);
  if (read.ok) return read.bytes;
  if (read.problem === 'too_large') throw tooLarge(path, read.reason);
  throw new ConfigError('config_unreadable', `cannot read site config ${path} (${read.reason})`);
}

function tooLarge(source: string, detail: string): ConfigError {
  return new ConfigError('config_too_large', `${source}: site config too large (${detail})`);
}

export interface SecretRef {
  /** the config field, e.g. `cameras[0].source.url` */
  readonly path: string;
  readonly ref: string;
}

/** The fields that hold secret references (`secretRef` in the schema), where the document has a string (literals too). */
export function secretRefsOf(document: unknown): SecretRef[] {
  const refs: SecretRef[] = [];
  const add = (path: string, value: unknown): void => {
    if (typeof value === 'string') refs.push({ path, ref: value });
  };
  const doc = asRecord(document);
  const mqtt = asRecord(doc['mqtt']);
  add('mqtt.username', mqtt['username']);
  add('mqtt.password', mqtt['password']);
  const auth = asRecord(asRecord(doc['metrics'])['auth']);
  for (const key of ['bearerToken', 'username', 'password']) add(`metrics.auth.${key}`, auth[key]);
  const cameras = doc['cameras'];
  if (Array.isArray(cameras)) cameras.forEach((camera, i) => add(`cameras[${i}].source.url`, asRecord(asRecord(camera)['source'])['url']));
  return refs;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Resolves every reference, collecting one line per reference that does not resolve. */
export function resolveAll(refs: readonly SecretRef[], env: NodeJS.ProcessEnv): { values: Map<string, string>; errors: string[] } {
  const values = new Map<string, string>();
  const errors: string[] = [];
  for (const { path, ref } of refs) {
    try {
      values.set(path, resolveSecret(ref, path, env));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error.message);
    }
  }
  return { values, errors };
}

function resolveSecrets(config: SiteConfig, env: NodeJS.ProcessEnv): SiteConfig {
  const { values, errors } = resolveAll(secretRefsOf(config), env);
  if (errors.length === 1) throw new ConfigError('secret_unresolved', errors[0]!);
  if (errors.length > 1) throw new ConfigError('secret_unresolved', `${errors.length} secrets do not resolve:\n  ${errors.join('\n  ')}`);
  const mqtt = { ...config.mqtt };
  if (mqtt.username !== undefined) mqtt.username = values.get('mqtt.username')!;
  if (mqtt.password !== undefined) mqtt.password = values.get('mqtt.password')!;
  const metrics = { ...config.metrics };
  if (metrics.auth) {
    const auth = { ...metrics.auth };
    for (const key of ['bearerToken', 'username', 'password'] as const) {
      if (auth[key] !== undefined) auth[key] = values.get(`metrics.auth.${key}`)!;
    }
    metrics.auth = auth;
  }
  const cameras = config.cameras.map((camera, index) => ({
    ...camera,
    source: { ...camera.source, url: values.get(`cameras[${index}].source.url`)! },
  }));
  return { ...config, mqtt, metrics, cameras };
}
