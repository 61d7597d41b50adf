import { dirname } from 'node:path';
import { getModelEntry, type ModelRegistry } from '../../pipelines/detect/modelRegistry.js';
import { ModelError } from '../../pipelines/errors.js';
import type { Detector } from '../../pipelines/stages.js';
import type { Logger } from '../observe/logger.js';
import { defaultModelsDir, defaultRegistryPath, loadLabels, loadModelRegistry } from './modelFiles.js';
import { OnnxDetector, type OnnxSessionOptions } from './OnnxDetector.js';
import { resolveModelFile } from './resolveModelFile.js';
import { WorkerDetector, type WorkerDetectorOptions } from './WorkerDetector.js';
import { WorkerPoolDetector } from './WorkerPoolDetector.js';
import { systemClock } from '../clock.js';

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

/** Where a model runs: `worker` (its own thread) or `main` (the agent's event loop thread). */
export type InferenceThread = 'worker' | 'main';

/**
 * The detector the agent uses: on a worker thread when asked (falling back to the main thread,
 * with a warning, when the worker script is not built; a thread that dies is restarted), else in
 * this thread.
 */
export async function openDetector(
  options: Omit<WorkerDetectorOptions, 'workerScript'> & { readonly thread: InferenceThread; readonly workers?: number },
): Promise<Detector> {
  const { thread, workers = 1, logLevel, clock, metrics, ...load } = options;
  if (thread === 'worker') {
    try {
      if (workers <= 1) return await WorkerDetector.start({ ...load, logLevel, clock, metrics });
      return await startWorkerPool(workers, { ...load, logLevel, clock, metrics });
    } catch (error) {
      if (!(error instanceof ModelError && error.code === 'worker_unavailable')) throw error;
      load.logger.warn({ model: load.name, err: error }, 'inference worker unavailable; running the model on the main thread');
    }
  }
  return await loadDetector(load);
}

/** `count` threads with the model loaded on each; if one cannot start, those that did are stopped. */
async function startWorkerPool(count: number, options: WorkerDetectorOptions): Promise<WorkerPoolDetector> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => WorkerDetector.start(options)));
  const members = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await Promise.all(members.map((member) => member.shutdown()));
    throw failed.reason;
  }
  return new WorkerPoolDetector({ members, clock: options.clock ?? systemClock });
}
