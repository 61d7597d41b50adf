import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { signConfigFile } from './fleetCommands.js';

export interface SignOptions {
  /** the site config to sign */
  readonly file: string;
  /** the Ed25519 private key (PKCS#8 PEM) */
  readonly key: string;
  readonly keyId?: string;
  /** `24h`, `30m`, `7d` or `none` */
  readonly expiresIn?: string;
}

/** `c5-agent config sign`: prints a signed config envelope for a fleet push. */
export function signCommand(options: SignOptions, io: CommandIo): number {
  const envelope = signConfigFile({ configPath: options.file, keyPath: options.key, keyId: options.keyId, expiresIn: options.expiresIn, now: Date.now() });
  io.out.write(`${JSON.stringify(envelope)}\n`);
  return EXIT.ok;
}
