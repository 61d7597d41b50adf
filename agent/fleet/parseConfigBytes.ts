import { ConfigError } from '../../pipelines/errors.js';
import { parseSiteConfigText, type LoadedSiteConfig } from '../config/loadSiteConfig.js';
import { sha256Hex } from '../sha256Hex.js';

/**
 * A config from exact bytes (a signed payload, a persisted last-known-good): UTF-8 strictly, and
 * the sha256 of the bytes themselves, so reports match `sha256sum site.yaml` on the signer's side.
 * A caller that already hashed the bytes passes `sha256`, so a push is hashed once.
 */
export function parseConfigBytes(bytes: Buffer, source: string, env: NodeJS.ProcessEnv, sha256: string = sha256Hex(bytes)): LoadedSiteConfig {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new ConfigError('config_syntax', `${source}: not UTF-8 text`);
  }
  return parseSiteConfigText(text, source, env, { sha256 });
}
