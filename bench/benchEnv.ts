import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../agent/inference/modelFiles.js';

/** Where the bench finds the shared model and clip, and the environment it gives the agent. */
export interface BenchEnv {
  readonly root: string;
  readonly modelsDir: string;
  readonly clipPath: string;
  /** the agent's environment: the models folder, and logs quiet enough not to cost frames */
  readonly env: NodeJS.ProcessEnv;
}

/** C5_MODELS_DIR / C5_MEDIA_DIR, else `../shared` beside the checkout (as the tests use it). */
export function benchEnv(): BenchEnv {
  const root = packageRoot();
  const shared = process.env['C5_SHARED_DIR'] ?? resolve(root, '..', 'shared');
  const modelsDir = process.env['C5_MODELS_DIR'] || join(shared, 'models');
  const mediaDir = process.env['C5_MEDIA_DIR'] || join(shared, 'media');
  const clipPath = join(mediaDir, 'vtest.avi');
  const model = join(modelsDir, 'yolox_nano.onnx');
  const missing = [model, clipPath].filter((path) => !existsSync(path));
  if (missing.length > 0) {
    throw new Error(`bench: ${missing.join(' and ')} not found; set C5_MODELS_DIR and C5_MEDIA_DIR (or C5_SHARED_DIR) to the shared fixtures`);
  }
  const env = { ...process.env, C5_MODELS_DIR: modelsDir, C5_LOG_LEVEL: process.env['C5_LOG_LEVEL'] ?? 'warn' };
  return { root, modelsDir, clipPath, env };
}
