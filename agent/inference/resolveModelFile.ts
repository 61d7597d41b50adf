import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelError } from '../../pipelines/errors.js';
import type { ModelEntry } from '../../pipelines/detect/modelRegistry.js';
import { defaultCacheDir } from './modelFiles.js';
import { sha256File } from './sha256File.js';

export interface ResolveModelFileOptions {
  /** downloaded weights; default `<repo>/models/cache` */
  readonly cacheDir?: string;
  /** a folder provisioned by the operator (read-only mirror, shared fixtures); default `$C5_MODELS_DIR` */
  readonly mirrorDir?: string;
  /** where C5_MODELS_DIR is read from; default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

export interface ResolvedModelFile {
  readonly path: string;
  readonly sha256: string;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ModelError('model_not_found', `cannot inspect ${path}: ${String(error)}`, { cause: error });
  }
}

/**
 * Finds the entry's weights (cache first, then the mirror) and checks the file's SHA-256 against
 * the registry before anything parses it: a model file is code the runtime executes, so an
 * unknown one is refused rather than loaded. The first file found decides; a corrupt cached
 * copy is an error to fix, not something to silently step over.
 */
export async function resolveModelFile(entry: ModelEntry, options: ResolveModelFileOptions = {}): Promise<ResolvedModelFile> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const mirrorDir = options.mirrorDir ?? (options.env ?? process.env)['C5_MODELS_DIR'];
  const candidates = [join(cacheDir, entry.file)];
  if (mirrorDir !== undefined && mirrorDir !== '') candidates.push(join(mirrorDir, entry.file));

  for (const path of candidates) {
    if (!(await isFile(path))) continue;
    const sha256 = await sha256File(path);
    if (!entry.sha256.includes(sha256)) {
      throw new ModelError(
        'digest_mismatch',
        `model file ${path} has sha256 ${sha256}, which is not one the registry accepts ` +
          `(${entry.sha256.join(', ')}); delete it and run \`npm run models:pull\`, or provide a verified copy`,
      );
    }
    return { path, sha256 };
  }

  const looked = candidates.join(', ');
  const mirrorHint = mirrorDir === undefined || mirrorDir === '' ? ' (C5_MODELS_DIR is not set)' : '';
  throw new ModelError(
    'model_not_found',
    `model file ${entry.file} not found; looked in ${looked}${mirrorHint}. ` +
      'Run `npm run models:pull` to download it, or set C5_MODELS_DIR to a folder that holds it',
  );
}
