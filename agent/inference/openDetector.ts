import { ModelError } from '../../pipelines/errors.js';
import type { Detector } from '../../pipelines/stages.js';
import { systemClock } from '../clock.js';
import { loadDetector } from './loadDetector.js';
import { WorkerDetector, type WorkerDetectorOptions } from './WorkerDetector.js';
import { WorkerPoolDetector } from './WorkerPoolDetector.js';

// Apart from loadDetector.ts because the worker thread loads its model with loadDetector: kept
// together, loadDetector -> WorkerDetector -> loadDetector was an import loop.

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
    await Promise.all(members.map((member) => member.stop()));
    throw failed.reason;
  }
  return new WorkerPoolDetector({ members, clock: options.clock ?? systemClock });
}
