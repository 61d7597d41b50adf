import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ModelError } from '../../pipelines/errors.js';
import type { DetectOptions, DetectTimings, Detector, ModelInfo } from '../../pipelines/stages.js';
import type { Detection, Frame } from '../../pipelines/types.js';
import type { Logger } from '../observe/logger.js';
import type { DetectorWorkerData, FromWorker, ToWorker } from './detectorWorkerProtocol.js';
import type { LoadDetectorOptions } from './loadDetector.js';
import { packageRoot } from './modelFiles.js';

/** Frames in the worker at once: one in inference and one queued, so it never waits for this thread. */
const SLOTS = 2;
const SHUTDOWN_GRACE_MS = 5_000;

interface Pending {
  readonly resolve: (detections: Detection[]) => void;
  readonly reject: (error: Error) => void;
  readonly slot: number;
}

/**
 * The compiled worker script. From the TypeScript sources (tests), the built copy in dist/ is
 * used; without one the worker cannot start and the caller falls back to the main thread.
 */
export function detectorWorkerScript(): string | undefined {
  const here = fileURLToPath(new URL('./detectorWorker.js', import.meta.url));
  const built = join(packageRoot(), 'dist', 'agent', 'inference', 'detectorWorker.js');
  return [here, built].find((path) => existsSync(path));
}

/**
 * A Detector whose model runs on its own thread. onnxruntime-node runs a session synchronously
 * on the calling thread, so on the main thread every inference stops frame intake, MQTT and
 * metrics for its whole duration, and the model then waits for frames to be read in. Here the
 * pixels are copied into one of two shared slots (no allocation), the worker preprocesses,
 * infers and decodes, and only the detections come back. `pipelineDepth` tells the scheduler it
 * may hand over a second frame while one runs.
 */
export class WorkerDetector implements Detector {
  readonly model: ModelInfo;
  readonly pipelineDepth = SLOTS;
  private readonly worker: Worker;
  private readonly log: Logger;
  private readonly slots: Uint8Array[];
  private readonly freeSlots: number[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private timings: DetectTimings | undefined;
  private failure: ModelError | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private readonly exited: Promise<void>;

  private constructor(worker: Worker, ready: Extract<FromWorker, { type: 'ready' }>, log: Logger, exited: Promise<void>) {
    this.worker = worker;
    this.model = ready.model;
    this.log = log;
    this.exited = exited;
    this.slots = ready.slots.map((buffer) => new Uint8Array(buffer));
    this.freeSlots = this.slots.map((_, i) => i);
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (error) => this.fail(new ModelError('worker_failed', `inference thread for model "${this.model.name}" failed: ${error.message}`, { cause: error })));
    void exited.then(() => {
      if (!this.shutdownPromise) this.fail(new ModelError('worker_failed', `inference thread for model "${this.model.name}" exited`));
    });
  }

  /** Starts the worker and waits until its model is loaded; load errors keep their ModelError code. */
  static async start(options: LoadDetectorOptions & { readonly logLevel: string }): Promise<WorkerDetector> {
    const script = detectorWorkerScript();
    if (!script) throw new ModelError('worker_unavailable', 'the inference worker script is not built (run `npm run build`)');
    const { logger, logLevel, ...load } = options;
    const data: DetectorWorkerData = { load, logLevel, slots: SLOTS };
    const worker = new Worker(script, { workerData: data });
    // The agent's own handles (decoders, broker, HTTP) keep the process alive; a forgotten worker must not.
    worker.unref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const ready = await new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
      const onMessage = (message: FromWorker): void => {
        if (message.type === 'ready') resolve(message);
        else if (message.type === 'load_failed') reject(new ModelError(message.code, message.message));
      };
      worker.on('message', onMessage);
      worker.once('error', (error) => reject(new ModelError('worker_failed', `inference thread could not start: ${error.message}`, { cause: error })));
      void exited.then(() => reject(new ModelError('worker_failed', 'inference thread exited while loading the model')));
    }).finally(() => worker.removeAllListeners('message'));
    return new WorkerDetector(worker, ready, logger.child({ component: 'detector', model: ready.model.name }), exited);
  }

  get lastTimings(): DetectTimings | undefined {
    return this.timings;
  }

  detect(frame: Frame, options: DetectOptions): Promise<Detection[]> {
    if (this.shutdownPromise) return Promise.reject(new ModelError('detector_stopped', `detector for model "${this.model.name}" has been shut down`));
    if (this.failure) return Promise.reject(this.failure);
    const slot = this.freeSlots.pop();
    if (slot === undefined) {
      return Promise.reject(new ModelError('detector_busy', `model "${this.model.name}" already has ${SLOTS} frames in its worker`));
    }
    const view = this.slots[slot]!;
    if (frame.pixels.length !== view.length) {
      this.freeSlots.push(slot);
      return Promise.reject(
        new ModelError('bad_frame', `frame from camera ${frame.cameraId} is ${frame.width}x${frame.height}; model "${this.model.name}" needs ${this.model.inputWidth}x${this.model.inputHeight}`),
      );
    }
    view.set(frame.pixels);
    const id = this.nextId++;
    const { cameraId, seq, captureTime, width, height, letterbox } = frame;
    const message: ToWorker = { type: 'detect', id, slot, cameraId, seq, captureTime, width, height, letterbox, options };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      this.worker.postMessage(message);
    });
  }

  /** Waits for the frames already handed over, then stops the thread. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      if (!this.failure) this.worker.postMessage({ type: 'shutdown' } satisfies ToWorker);
      const timer = setTimeout(() => void this.worker.terminate(), SHUTDOWN_GRACE_MS);
      timer.unref();
      await this.exited;
      clearTimeout(timer);
      this.log.debug('inference thread stopped');
    })();
    return this.shutdownPromise;
  }

  private onMessage(message: FromWorker): void {
    if (message.type !== 'result' && message.type !== 'failed') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    this.freeSlots.push(pending.slot);
    if (message.type === 'result') {
      this.timings = message.timings;
      pending.resolve(message.detections);
    } else {
      pending.reject(new ModelError(message.code, message.message));
    }
  }

  private fail(error: ModelError): void {
    if (this.failure) return;
    this.failure = error;
    this.log.error({ err: error }, 'inference thread failed; frames on this model fail until the agent restarts');
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
