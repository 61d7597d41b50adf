import { readFileSync } from 'node:fs';
import { ConfigError, toError } from '../../pipelines/errors.js';

/**
 * Resolves a secret reference: `env:NAME` reads the environment, `file:/path` reads a file
 * (trailing newline trimmed, as secret managers mount them); anything else is a literal. Errors
 * name the config path and the reference, never a value.
 */
export function resolveSecret(value: string, configPath: string, env: NodeJS.ProcessEnv): string {
  if (value.startsWith('env:')) {
    const name = value.slice(4);
    const resolved = env[name];
    if (resolved === undefined || resolved === '') {
      throw new ConfigError('secret_unresolved', `${configPath}: environment variable ${name} is not set (from "${value}")`);
    }
    return resolved;
  }
  if (value.startsWith('file:')) {
    const path = value.slice(5);
    try {
      return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      const reason = (toError(error) as NodeJS.ErrnoException).code ?? toError(error).message;
      throw new ConfigError('secret_unresolved', `${configPath}: cannot read secret file ${path} (${reason})`, { cause: error });
    }
  }
  return value;
}
