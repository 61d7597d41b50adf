import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { defaultCacheDir, loadModelRegistry } from './modelFiles.js';
import { pullModel } from './pullModel.js';

export interface PullOptions {
  /** a model name from models/registry.json */
  readonly name: string;
}

/** `c5-agent models pull [NAME]`: downloads a model into the cache and checks its sha256. */
export async function pullCommand(options: PullOptions, io: CommandIo): Promise<number> {
  const registry = await loadModelRegistry();
  const pulled = await pullModel({ name: options.name, registry, cacheDir: defaultCacheDir(), logger: io.logger, progress: process.stderr });
  io.out.write(`${pulled.downloaded ? 'downloaded' : 'already present'}: ${pulled.path} (sha256 ${pulled.sha256})\n`);
  return EXIT.ok;
}
