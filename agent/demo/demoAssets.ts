import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError, toError } from '../../pipelines/errors.js';
import { getModelEntry } from '../../pipelines/detect/modelRegistry.js';
import { downloadFile } from '../inference/downloadFile.js';
import { defaultCacheDir, loadModelRegistry, packageRoot } from '../inference/modelFiles.js';
import { pullModel } from '../inference/pullModel.js';
import { resolveModelFile } from '../inference/resolveModelFile.js';
import type { Logger } from '../observe/logger.js';
import type { ProgressStream } from '../observe/ProgressReporter.js';

/** OpenCV's sample clip: 768x576, 10 fps, pedestrians crossing a plaza. */
export const DEMO_CLIP = {
  file: 'vtest.avi',
  url: 'https://raw.githubusercontent.com/opencv/opencv/4.x/samples/data/vtest.avi',
  sha256: '45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf',
} as const;

export const DEMO_MODEL = 'yolox-nano';

export interface DemoAssetOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  readonly progress: ProgressStream | null;
  readonly fetch?: typeof fetch;
  /** where downloads go; default models/cache and media/cache in the package */
  readonly modelCacheDir?: string;
  readonly mediaCacheDir?: string;
}

export const mediaCacheDir = (): string => join(packageRoot(), 'media', 'cache');

/** The model through the same resolution the agent uses; downloads it only if found nowhere. */
export async function ensureDemoModel(options: DemoAssetOptions): Promise<void> {
  const registry = await loadModelRegistry();
  const entry = getModelEntry(registry, DEMO_MODEL);
  try {
    await resolveModelFile(entry, { env: options.env, cacheDir: options.modelCacheDir });
    return;
  } catch (error) {
    if (!(error instanceof AgentError) || error.code !== 'model_not_found') throw error;
  }
  try {
    await pullModel({
      name: DEMO_MODEL,
      registry,
      cacheDir: options.modelCacheDir,
      logger: options.logger,
      progress: options.progress,
      fetch: options.fetch,
    });
  } catch (error) {
    throw new AgentError(
      'demo_assets_missing',
      `the demo needs the model ${entry.file} and could not download it (${toError(error).message}).\n` +
        `Fetch ${entry.sourceUrl ?? 'the model'} into ${join(options.modelCacheDir ?? defaultCacheDir(), entry.file)}, ` +
        `or set C5_MODELS_DIR to a folder that holds ${entry.file}.`,
      { cause: error },
    );
  }
}

/** The clip: given path, else C5_MEDIA_DIR, else media/cache, else a verified download. */
export async function ensureDemoClip(options: DemoAssetOptions & { readonly clip?: string }): Promise<string> {
  if (options.clip !== undefined) {
    if (!existsSync(options.clip)) throw new AgentError('demo_clip_missing', `clip not found: ${options.clip}`);
    return options.clip;
  }
  const mediaDir = options.env['C5_MEDIA_DIR'];
  const cacheDir = options.mediaCacheDir ?? mediaCacheDir();
  const candidates = [...(mediaDir ? [join(mediaDir, DEMO_CLIP.file)] : []), join(cacheDir, DEMO_CLIP.file)];
  const found = candidates.find((path) => existsSync(path));
  if (found) return found;
  const dest = join(cacheDir, DEMO_CLIP.file);
  try {
    await downloadFile({ url: DEMO_CLIP.url, dest, acceptedSha256: [DEMO_CLIP.sha256], progress: options.progress, fetch: options.fetch });
    return dest;
  } catch (error) {
    throw new AgentError(
      'demo_assets_missing',
      `the demo needs the clip ${DEMO_CLIP.file} and could not download it (${toError(error).message}).\n` +
        `Fetch ${DEMO_CLIP.url} (sha256 ${DEMO_CLIP.sha256}) into ${dest}, ` +
        `set C5_MEDIA_DIR to a folder that holds ${DEMO_CLIP.file}, or pass --clip FILE.`,
      { cause: error },
    );
  }
}
