import { AgentError, ConfigError } from '../../pipelines/errors.js';
import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { looksLikeEnvelope, openEnvelopeFile } from '../fleet/fleetCommands.js';
import { checkSiteConfigText, type CheckedSiteConfig } from './checkSiteConfig.js';
import { MAX_CONFIG_FILE_BYTES, readSiteConfigBytes } from './loadSiteConfig.js';
import { quoteUntrusted } from '../../pipelines/untrustedText.js';

export interface ValidateOptions {
  /** a site config (YAML or JSON) or a signed envelope */
  readonly file: string;
  /** trusted-keys file: an envelope's signature is checked against it */
  readonly trusted?: string;
  /** false (`--no-secrets`): list the `env:`/`file:` references instead of resolving them; default true */
  readonly secrets?: boolean;
  /** the model registry the labels are checked against; default the package's models/registry.json */
  readonly registryPath?: string;
}

/**
 * `c5-agent config validate FILE`: a site config, or a signed envelope's config (and signature).
 * Checks the schema, the labels against each camera's model, and (unless `secrets: false`) every
 * secret reference; throws one ConfigError listing every problem, each naming its field. The
 * result goes to stdout; warnings (things that validate but do nothing) to stderr, exit 0.
 */
export async function validateCommand(options: ValidateOptions, io: CommandIo): Promise<number> {
  const { file } = options;
  const secrets = options.secrets !== false;
  // Bounded and regular files only (a FIFO or /dev/zero is refused at once). An envelope carries
  // the config base64-encoded (4/3 of its size) and a signature, so it may be up to twice the cap.
  const bytes = readValidatedBytes(file);
  const checkOptions = { secrets, registryPath: options.registryPath };
  let summary: string;
  let checked: CheckedSiteConfig;
  if (looksLikeEnvelope(bytes)) {
    const envelope = openEnvelopeFile({ path: file, bytes, trustedKeysFile: options.trusted, now: Date.now() });
    checked = await checkSiteConfigText(envelope.payloadText, `${file} (payload)`, io.env, { ...checkOptions, sha256: envelope.sha256 });
    summary = `${envelope.summary}; site`;
  } else {
    checked = await checkSiteConfigText(bytes.toString('utf8'), file, io.env, checkOptions);
    summary = 'site';
  }
  const { config, sha256 } = checked;
  const unresolved = secrets ? '' : '; secrets not resolved (--no-secrets)';
  io.out.write(`ok: ${file}: ${summary} ${config.site.id}, version ${config.version}, ${config.cameras.length} camera(s), sha256 ${sha256}${unresolved}\n`);
  if (!secrets) io.out.write(secretReferenceList(checked));
  for (const warning of checked.warnings) io.err.write(`warning: ${warning}\n`);
  return EXIT.ok;
}

/** The references the box must resolve, field by field; never a value (nothing here resolved one). */
function secretReferenceList({ secretRefs }: CheckedSiteConfig): string {
  if (secretRefs.length === 0) return 'secret references: none\n';
  // A reference is the operator's own text; anything but plain printable ASCII is shown escaped.
  const shown = (ref: string): string => (/^[\x21-\x7e]{1,256}$/.test(ref) ? ref : quoteUntrusted(ref, 256));
  const lines = secretRefs.map(({ path, ref }) => `  ${path}: ${shown(ref)}\n`);
  return `secret references (resolved where the agent runs, not checked here):\n${lines.join('')}`;
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
