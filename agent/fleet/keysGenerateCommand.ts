import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { generateKeys } from './fleetCommands.js';

export interface KeysGenerateOptions {
  /** folder for the private key and trusted-keys.json */
  readonly out: string;
  readonly keyId?: string;
}

/** `c5-agent keys generate`: a new Ed25519 signing key, its public half added to trusted-keys.json. */
export async function keysGenerateCommand(options: KeysGenerateOptions, io: CommandIo): Promise<number> {
  const key = await generateKeys({ out: options.out, keyId: options.keyId });
  io.out.write(
    `key ${key.keyId}: private ${key.privateKeyPath} (mode 0600, keep it off the edge boxes)\n` +
      `trusted keys: ${key.trustedKeysPath} (install on each box as fleet.trustedKeysFile)\n` +
      `sign with: c5-agent config sign --key ${key.privateKeyPath} --key-id ${key.keyId} site.yaml > envelope.json\n`,
  );
  return EXIT.ok;
}
