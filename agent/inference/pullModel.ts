import { join } from 'node:path';
import { ModelError } from '../../pipelines/errors.js';
import { getModelEntry, type ModelRegistry } from '../../pipelines/detect/modelRegistry.js';
import type { Logger } from '../observe/logger.js';
import type { ProgressStream } from '../observe/ProgressReporter.js';
import { downloadFile } from './downloadFile.js';
import { defaultCacheDir } from './modelFiles.js';
import { sha256File } from './sha256File.js';

export interface PullModelOptions {
  readonly name: string;
  readonly registry: ModelRegistry;
  /** default `<repo>/models/cache` */
  readonly cacheDir?: string;
  readonly logger: Logger;
  /** progress bar destination; default stderr, null for none */
  readonly progress?: ProgressStream | null;
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
}

export interface PulledModel {
  readonly path: string;
  readonly sha256: string;
  /** false when a verified copy was already in the cache */
  readonly downloaded: boolean;
}

/**
 * `models pull`: makes sure the cache holds verified weights for `name`. A cached file with an
 * accepted digest is kept; one with any other digest is replaced (pull is how an operator
 * repairs a bad cache), and the replacement is verified before it takes the name.
 */
export async function pullModel(options: PullModelOptions): Promise<PulledModel> {
  const { name, logger } = options;
  const entry = getModelEntry(options.registry, name);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const dest = join(cacheDir, entry.file);
  const log = logger.child({ component: 'models', model: name });

  const existing = await sha256File(dest).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (existing !== null && entry.sha256.includes(existing)) {
    log.info({ path: dest, sha256: existing }, 'model already in cache, digest verified');
    return { path: dest, sha256: existing, downloaded: false };
  }
  if (existing !== null) {
    log.warn({ path: dest, sha256: existing, accepted: entry.sha256 }, 'cached model has an unknown digest; downloading again');
  }
  if (entry.sourceUrl === undefined) {
    throw new ModelError(
      'no_source',
      `model "${name}" has no sourceUrl in the registry; copy ${entry.file} into ${cacheDir} or set C5_MODELS_DIR to a folder that holds it`,
    );
  }

  log.info({ url: entry.sourceUrl, dest }, 'downloading model');
  const result = await downloadFile({
    url: entry.sourceUrl,
    dest,
    acceptedSha256: entry.sha256,
    label: entry.file,
    progress: options.progress,
    signal: options.signal,
    fetch: options.fetch,
  });
  log.info({ path: result.path, sha256: result.sha256, bytes: result.bytes }, 'model downloaded and verified');
  return { path: result.path, sha256: result.sha256, downloaded: true };
}
