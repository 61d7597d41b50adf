import { ConfigError } from '../../pipelines/errors.js';
import { quoteUntrusted } from '../../pipelines/untrustedText.js';
import { readBoundedFile } from './readBoundedFile.js';

/** A `file:` secret is a password, token or URL: anything larger is a mistake or an attack. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * Resolves a secret reference: `env:NAME` reads the environment, `file:/path` reads a regular file
 * of at most MAX_SECRET_FILE_BYTES (trailing newline trimmed, as secret managers mount them; a
 * FIFO or a device is refused at once instead of blocking or streaming without end); anything
 * else is a literal. Errors (code `secret_unresolved`) name the config path and the reference,
 * never a value.
 */
export function resolveSecret(value: string, configPath: string, env: NodeJS.ProcessEnv): string {
  if (value.startsWith('env:')) {
    const name = value.slice(4);
    const resolved = env[name];
    if (resolved === undefined || resolved === '') {
      // An ordinary variable name is shown as is; anything else only as a short escaped prefix.
      const shown = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name) ? name : quoteUntrusted(name, 80);
      throw new ConfigError('secret_unresolved', `${configPath}: environment variable ${shown} is not set (from ${quoteUntrusted(value, 84)})`);
    }
    return resolved;
  }
  if (value.startsWith('file:')) {
    const path = value.slice(5);
    const read = readBoundedFile(path, MAX_SECRET_FILE_BYTES);
    if (!read.ok) {
      throw new ConfigError('secret_unresolved', `${configPath}: cannot read secret file ${quoteUntrusted(path, 200)} (${read.reason})`);
    }
    return read.bytes.toString('utf8').replace(/\r?\n$/, '');
  }
  return value;
}
