import { AgentError, ConfigError } from '../../pipelines/errors.js';
import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { looksLikeEnvelope, validateEnvelopeFile } from '../fleet/fleetCommands.js';
import { MAX_CONFIG_FILE_BYTES, parseSiteConfigText, readSiteConfigBytes } from './loadSiteConfig.js';

export interface ValidateOptions {
  /** a site config (YAML or JSON) or a signed envelope */
  readonly file: string;
  /** trusted-keys file: an envelope's signature is checked against it */
  readonly trusted?: string;
}

/**
 * `c5-agent config validate FILE`: a site config, or a signed envelope's config (and signature).
 * Throws ConfigError naming the field; the program turns it into an exit code.
 */
export function validateCommand(options: ValidateOptions, io: CommandIo): number {
  const { file } = options;
  // Bounded and regular files only (a FIFO or /dev/zero is refused at once). An envelope carries
  // the config base64-encoded (4/3 of its size) and a signature, so it may be up to twice the cap.
  const bytes = readValidatedBytes(file);
  if (looksLikeEnvelope(bytes)) {
    const line = validateEnvelopeFile({ path: file, bytes, trustedKeysFile: options.trusted, env: io.env, now: Date.now() });
    io.out.write(`${line}\n`);
    return EXIT.ok;
  }
  const { config, sha256 } = parseSiteConfigText(bytes.toString('utf8'), file, io.env);
  io.out.write(`ok: ${file}: site ${config.site.id}, version ${config.version}, ${config.cameras.length} camera(s), sha256 ${sha256}\n`);
  return EXIT.ok;
}

/** Names both limits: a file over the envelope's is over a site config's too. */
function readValidatedBytes(file: string): Buffer {
  const envelopeLimit = 2 * MAX_CONFIG_FILE_BYTES;
  try {
    return readSiteConfigBytes(file, envelopeLimit);
  } catch (error) {
    if (!(error instanceof AgentError) || error.code !== 'config_too_large') throw error;
    throw new ConfigError('config_too_large', `${file}: too large: a site config may have ${MAX_CONFIG_FILE_BYTES} bytes, a signed envelope ${envelopeLimit}`, {
      cause: error,
    });
  }
}
