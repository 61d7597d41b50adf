import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { signConfigFile } from './fleetCommands.js';

export interface SignOptions {
  /** the site config to sign */
  readonly file: string;
  /** the Ed25519 private key (PKCS#8 PEM) */
  readonly key: string;
  /** default: the id the trusted-keys file gives this key, else its fingerprint */
  readonly keyId?: string;
  /** the trusted-keys file the boxes use; default: `trusted-keys.json` beside the key */
  readonly trusted?: string;
  /** `24h`, `30m`, `7d` or `none` */
  readonly expiresIn?: string;
}

/**
 * `c5-agent config sign`: prints a signed config envelope for a fleet push (stdout), after
 * checking the config as `config validate --no-secrets` does and the key id against the
 * trusted-keys file. When there is no file to check against it still signs, with a warning on
 * stderr, so the envelope on stdout stays clean to redirect.
 */
export async function signCommand(options: SignOptions, io: CommandIo): Promise<number> {
  const signed = await signConfigFile({
    configPath: options.file,
    keyPath: options.key,
    keyId: options.keyId,
    trusted: options.trusted,
    expiresIn: options.expiresIn,
    now: Date.now(),
  });
  if (signed.warning !== undefined) io.err.write(`${signed.warning}\n`);
  io.out.write(`${JSON.stringify(signed.envelope)}\n`);
  return EXIT.ok;
}
