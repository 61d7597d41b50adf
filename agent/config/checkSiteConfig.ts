import { parse as parseYaml } from 'yaml';
import { configWarnings } from '../../pipelines/config/configWarnings.js';
import { labelIssues, type ModelLabels } from '../../pipelines/config/labelIssues.js';
import { pixelCoordinateHints } from '../../pipelines/config/pixelCoordinateHints.js';
import type { SiteConfig } from '../../pipelines/config/siteConfig.js';
import { AgentError, ConfigError } from '../../pipelines/errors.js';
import { loadModelLabels } from './loadModelLabels.js';
import { parseSiteConfigText, resolveAll, secretRefsOf, type SecretRef } from './loadSiteConfig.js';

export interface CheckOptions {
  /** false: the references are listed, not resolved (checking a config away from the box); default true */
  readonly secrets?: boolean;
  /** the model registry whose labels files the config's labels are checked against; default the package's */
  readonly registryPath?: string;
  /** sha256 of the bytes the text came from, when the caller has it */
  readonly sha256?: string;
}

export interface CheckedSiteConfig {
  /** validated; secret references are left as written (nothing here holds a resolved value) */
  readonly config: SiteConfig;
  readonly sha256: string;
  /** the `env:`/`file:` references, field by field (literals are not references and are not listed) */
  readonly secretRefs: readonly SecretRef[];
  /** things that validate but do nothing (configWarnings) */
  readonly warnings: readonly string[];
}

/**
 * Everything `config validate` checks, every problem in one error: the schema (with a hint when
 * coordinates look like pixels), each label against the camera's model, and unless
 * `secrets: false` each secret reference. Resolved values are only tried, never kept or shown.
 * Throws ConfigError (`config_invalid`, or `secret_unresolved` when only secrets fail) with one
 * line per problem, each naming its field.
 */
export async function checkSiteConfigText(text: string, source: string, env: NodeJS.ProcessEnv, options: CheckOptions = {}): Promise<CheckedSiteConfig> {
  const secrets = options.secrets !== false;
  let config: SiteConfig;
  let sha256: string;
  try {
    ({ config, sha256 } = parseSiteConfigText(text, source, env, { resolveSecrets: false, sha256: options.sha256 }));
  } catch (error) {
    if (!(error instanceof AgentError) || error.code !== 'config_invalid') throw error;
    // The text parsed (else config_syntax): re-read it for the secrets and the pixel hints.
    const document: unknown = parseYaml(text, { logLevel: 'error' });
    const extra = [...(secrets ? secretErrors(secretRefsOf(document), env) : []), ...pixelCoordinateHints(document)];
    throw new ConfigError('config_invalid', extra.length === 0 ? error.message : `${error.message}\n  ${extra.join('\n  ')}`, { cause: error });
  }
  const models = await loadModelLabels({ registryPath: options.registryPath, models: config.cameras.map((camera) => camera.model) });
  const labels = labelIssues(config, models);
  const refs = secretRefsOf(config);
  const unresolved = secrets ? secretErrors(refs, env) : [];
  if (labels.length > 0) {
    throw new ConfigError('config_invalid', `${source}: invalid site config:\n  ${[...labels, ...unresolved].join('\n  ')}`);
  }
  if (unresolved.length === 1) throw new ConfigError('secret_unresolved', `${source}: ${unresolved[0]!}`);
  if (unresolved.length > 1)
    throw new ConfigError('secret_unresolved', `${source}: ${unresolved.length} secrets do not resolve:\n  ${unresolved.join('\n  ')}`);
  return { config, sha256, secretRefs: refs.filter((ref) => isReference(ref.ref)), warnings: configWarnings(config) };
}

/**
 * For the agent's own loads (start, SIGHUP, a fleet push): ConfigError `config_invalid` naming
 * every label a camera's model cannot output, or undefined. A rule on such a label never fires,
 * so the config is refused like any other invalid one. `models` from loadModelLabels(), read once.
 */
export function labelError(config: SiteConfig, source: string, models: ReadonlyMap<string, ModelLabels>): ConfigError | undefined {
  const issues = labelIssues(config, models);
  return issues.length === 0 ? undefined : new ConfigError('config_invalid', `${source}: invalid site config:\n  ${issues.join('\n  ')}`);
}

/** `env:NAME` and `file:/path` are references; any other string is the value itself. */
export function isReference(value: string): boolean {
  return value.startsWith('env:') || value.startsWith('file:');
}

/** One line per reference that does not resolve; the values that do are dropped at once. */
function secretErrors(refs: readonly SecretRef[], env: NodeJS.ProcessEnv): string[] {
  return resolveAll(refs, env).errors;
}
