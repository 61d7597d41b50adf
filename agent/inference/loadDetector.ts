import { dirname } from 'node:path';
import { getModelEntry, type ModelRegistry } from '../../pipelines/detect/modelRegistry.js';
import type { Logger } from '../observe/logger.js';
import { defaultModelsDir, defaultRegistryPath, loadLabels, loadModelRegistry } from './modelFiles.js';
import { OnnxDetector, type OnnxSessionOptions } from './OnnxDetector.js';
import { resolveModelFile } from './resolveModelFile.js';

export interface LoadDetectorOptions {
  /** registry name, e.g. `yolox-nano` */
  readonly name: string;
  /** an already-parsed registry; default: read `registryPath` */
  readonly registry?: ModelRegistry;
  /** default `<repo>/models/registry.json`; label paths are relative to its folder */
  readonly registryPath?: string;
  readonly cacheDir?: string;
  readonly mirrorDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly sessionOptions?: OnnxSessionOptions;
  readonly logger: Logger;
}

/** Registry look-up, verified weights, labels, session: everything the agent needs to detect. */
export async function loadDetector(options: LoadDetectorOptions): Promise<OnnxDetector> {
  const registryPath = options.registryPath ?? defaultRegistryPath();
  const registry = options.registry ?? (await loadModelRegistry(registryPath));
  const registryDir = options.registryPath !== undefined ? dirname(registryPath) : defaultModelsDir();
  const entry = getModelEntry(registry, options.name);
  const file = await resolveModelFile(entry, {
    cacheDir: options.cacheDir,
    mirrorDir: options.mirrorDir,
    env: options.env,
  });
  const labels = await loadLabels(entry, registryDir);
  return await OnnxDetector.load({
    name: options.name,
    entry,
    modelPath: file.path,
    sha256: file.sha256,
    labels,
    sessionOptions: options.sessionOptions,
    logger: options.logger,
  });
}
