import { readFileSync } from 'node:fs';
import type { MqttTlsConfig } from '../../pipelines/config/mqttSchema.js';
import { ConfigError, toError } from '../../pipelines/errors.js';

/** The PEM contents behind mqtt.tls, read once at start-up. The key is never logged. */
export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly serverName?: string;
}

function readPem(path: string, field: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    const reason = (toError(error) as NodeJS.ErrnoException).code ?? toError(error).message;
    throw new ConfigError('tls_file_unreadable', `mqtt.tls.${field}: cannot read ${path} (${reason})`, { cause: error });
  }
  if (!content.includes('-----BEGIN ')) {
    throw new ConfigError('tls_file_invalid', `mqtt.tls.${field}: ${path} is not a PEM file (no "-----BEGIN" line)`);
  }
  return content;
}

/** Reads the CA, certificate and key files named in mqtt.tls; errors name the field and the path. */
export function readTlsMaterial(tls: MqttTlsConfig | undefined): TlsMaterial | undefined {
  if (!tls) return undefined;
  return {
    ...(tls.ca === undefined ? {} : { ca: readPem(tls.ca, 'ca') }),
    ...(tls.cert === undefined ? {} : { cert: readPem(tls.cert, 'cert') }),
    ...(tls.key === undefined ? {} : { key: readPem(tls.key, 'key') }),
    ...(tls.serverName === undefined ? {} : { serverName: tls.serverName }),
  };
}
