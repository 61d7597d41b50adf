import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseSiteConfig, type SiteConfig } from '../../pipelines/config/siteConfig.js';
import { ConfigError, toError } from '../../pipelines/errors.js';
import { resolveSecret } from './resolveSecret.js';

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
}

/** Parses YAML or JSON text (YAML is a superset of JSON), validates it, and resolves secrets. */
export function parseSiteConfigText(text: string, source: string, env: NodeJS.ProcessEnv, options: LoadOptions = {}): LoadedSiteConfig {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true, logLevel: 'error' });
  } catch (error) {
    throw new ConfigError('config_syntax', `${source}: not valid YAML or JSON: ${toError(error).message}`, { cause: error });
  }
  const result = parseSiteConfig(document);
  if (!result.ok) {
    throw new ConfigError('config_invalid', `${source}: invalid site config:\n  ${result.errors.join('\n  ')}`);
  }
  return {
    config: options.resolveSecrets === false ? result.config : resolveSecrets(result.config, env),
    sha256: createHash('sha256').update(text).digest('hex'),
    source,
  };
}

export function loadSiteConfigFile(path: string, env: NodeJS.ProcessEnv, options: LoadOptions = {}): LoadedSiteConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (toError(error) as NodeJS.ErrnoException).code ?? toError(error).message;
    throw new ConfigError('config_unreadable', `cannot read site config ${path} (${reason})`, { cause: error });
  }
  return parseSiteConfigText(text, path, env, options);
}

function resolveSecrets(config: SiteConfig, env: NodeJS.ProcessEnv): SiteConfig {
  const mqtt = { ...config.mqtt };
  if (mqtt.username !== undefined) mqtt.username = resolveSecret(mqtt.username, 'mqtt.username', env);
  if (mqtt.password !== undefined) mqtt.password = resolveSecret(mqtt.password, 'mqtt.password', env);
  const metrics = { ...config.metrics };
  if (metrics.auth) {
    const auth = { ...metrics.auth };
    for (const key of ['bearerToken', 'username', 'password'] as const) {
      const ref = auth[key];
      if (ref !== undefined) auth[key] = resolveSecret(ref, `metrics.auth.${key}`, env);
    }
    metrics.auth = auth;
  }
  const cameras = config.cameras.map((camera, index) => ({
    ...camera,
    source: { ...camera.source, url: resolveSecret(camera.source.url, `cameras[${index}].source.url`, env) },
  }));
  return { ...config, mqtt, metrics, cameras };
}
