import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { generateKeys } from './fleetCommands.js';

export interface KeysGenerateOptions {
  /** folder for the private key and trusted-keys.json */
  readonly out: string;
  readonly keyId?: string;
}

/**
 * `c5-agent keys generate`: a new Ed25519 signing key, its public half added to trusted-keys.json.
 * Also prints that entry on a line of its own, in the file's shape, for an operator whose boxes
 * already have a trusted-keys file to paste into its `keys` array.
 */
export async function keysGenerateCommand(options: KeysGenerateOptions, io: CommandIo): Promise<number> {
  const key = await generateKeys({ out: options.out, keyId: options.keyId });
  io.out.write(
    `key ${key.keyId}: private ${key.privateKeyPath} (mode 0600, keep it off the edge boxes)\n` +
      `trusted keys: ${key.trustedKeysPath} (install on each box as fleet.trustedKeysFile)\n` +
      `trusted-keys entry (to add to the "keys" array of an existing trusted-keys file):\n` +
      `${JSON.stringify({ keyId: key.keyId, publicKey: key.publicKey })}\n` +
      `sign with: c5-agent config sign --key ${key.privateKeyPath} --key-id ${key.keyId} site.yaml > envelope.json\n`,
  );
  return EXIT.ok;
}
