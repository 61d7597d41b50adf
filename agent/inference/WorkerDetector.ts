import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ModelError, toError } from '../../pipelines/errors.js';
import type { DetectOptions, DetectTimings, Detector, ModelInfo } from '../../pipelines/stages.js';
import type { Detection, Frame } from '../../pipelines/types.js';
import { backoffDelayMs } from '../backoff.js';
import { systemClock, type Clock, type Timer } from '../clock.js';
import type { Logger } from '../observe/logger.js';
import { RateLimitedLog } from '../observe/RateLimitedLog.js';
import type { DetectorWorkerData, FromWorker, ToWorker } from './detectorWorkerProtocol.js';
import type { LoadDetectorOptions } from './loadDetector.js';
import { packageRoot } from './modelFiles.js';

/** Frames in the worker at once: one in inference and one queued, so it never waits for this thread. */
const SLOTS = 2;
const SHUTDOWN_GRACE_MS = 5_000;
/** A dead thread is replaced after 0.5 s, doubling per failed restart up to 30 s (jittered). */
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A model that cannot load fails every restart; one log line a minute says so. */
const RESTART_FAILURE_LOG_INTERVAL_MS = 60_000;
const RESTART_FAILED_KEY = 'restart_failed';

type Ready = Extract<FromWorker, { type: 'ready' }>;

interface Pending {
  readonly resolve: (detections: Detection[]) => void;
  readonly reject: (error: Error) => void;
  readonly slot: number;
}

/** The counter the detector moves; AgentMetrics has it (structural, so tests may pass their own). */
export interface WorkerDetectorMetrics {
  readonly inferenceWorkerRestartsTotal: { inc(labels: { model: string }, value?: number): void };
}

export interface WorkerDetectorOptions extends LoadDetectorOptions {
  readonly logLevel: string;
  /** restart backoff timers; default the system clock */
  readonly clock?: Clock;
  readonly metrics?: WorkerDetectorMetrics;
  /**
   * The script the thread runs; default the built detectorWorker.js. Another script must speak
   * detectorWorkerProtocol (the tests wrap the real worker in one that dies on cue).
   */
  readonly workerScript?: string;
}

/** One thread: its exit (with the code) and its model load. */
interface SpawnedWorker {
  readonly worker: Worker;
  readonly exited: Promise<number>;
  /** rejects with the load's ModelError code, or `worker_failed` when the thread dies first */
  readonly ready: Promise<Ready>;
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

function spawnWorker(script: string, data: DetectorWorkerData): SpawnedWorker {
  const worker = new Worker(script, { workerData: data });
  // The agent's own handles (decoders, broker, HTTP) keep the process alive; a forgotten worker must not.
  worker.unref();
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const ready = new Promise<Ready>((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') resolve(message);
      else if (message.type === 'load_failed') reject(new ModelError(message.code, message.message));
    });
    worker.once('error', (error) => reject(new ModelError('worker_failed', `inference thread could not start: ${error.message}`, { cause: error })));
    void exited.then(() => reject(new ModelError('worker_failed', 'inference thread exited while loading the model')));
  }).finally(() => worker.removeAllListeners('message'));
  return { worker, exited, ready };
}

/**
 * A Detector whose model runs on its own thread. onnxruntime-node runs a session synchronously
 * on the calling thread, so on the main thread every inference stops frame intake, MQTT and
 * metrics for its whole duration, and the model then waits for frames to be read in. Here the
 * pixels are copied into one of two shared slots (no allocation), the worker preprocesses,
 * infers and decodes, and only the detections come back. `pipelineDepth` tells the scheduler it
 * may hand over a second frame while one runs.
 *
 * A thread that dies (uncaught error, exit, memory limit) fails the frames it held and is
 * replaced after a backoff; meanwhile detect() refuses at once (`worker_restarting`), so the
 * scheduler keeps its latest-frame-wins slots instead of a queue growing here.
 */
export class WorkerDetector implements Detector {
  readonly model: ModelInfo;
  readonly pipelineDepth = SLOTS;
  private readonly script: string;
  private readonly data: DetectorWorkerData;
  private readonly clock: Clock;
  private readonly metrics: WorkerDetectorMetrics | undefined;
  private readonly log: Logger;
  /** undefined while a dead thread waits for its replacement */
  private worker: Worker | undefined;
  private exited: Promise<number> = Promise.resolve(0);
  private slots: Uint8Array[] = [];
  private freeSlots: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private timings: DetectTimings | undefined;
  private shutdownPromise: Promise<void> | undefined;
  /** consecutive restarts without a completed detect: the backoff exponent */
  private restartStreak = 0;
  private restartTimer: Timer | undefined;
  /** a replacement thread still loading its model */
  private spawning: SpawnedWorker | undefined;
  private readonly failureLog: RateLimitedLog;

  private constructor(
    spawned: SpawnedWorker,
    ready: Ready,
    settings: { script: string; data: DetectorWorkerData; clock: Clock; metrics: WorkerDetectorMetrics | undefined; logger: Logger },
  ) {
    this.model = ready.model;
    this.script = settings.script;
    this.data = settings.data;
    this.clock = settings.clock;
    this.failureLog = new RateLimitedLog({ clock: settings.clock, intervalMs: RESTART_FAILURE_LOG_INTERVAL_MS });
    this.metrics = settings.metrics;
    this.log = settings.logger.child({ component: 'detector', model: ready.model.name });
    // From start-up at 0, so rate() and increase() see the first restart.
    this.metrics?.inferenceWorkerRestartsTotal.inc({ model: this.model.name }, 0);
    this.attach(spawned, ready);
  }

  /** Starts the worker and waits until its model is loaded; load errors keep their ModelError code. */
  static async start(options: WorkerDetectorOptions): Promise<WorkerDetector> {
    const { logger, logLevel, clock = systemClock, metrics, workerScript, ...load } = options;
    const script = workerScript ?? detectorWorkerScript();
    if (!script) throw new ModelError('worker_unavailable', 'the inference worker script is not built (run `npm run build`)');
    const data: DetectorWorkerData = { load, logLevel, slots: SLOTS };
    const spawned = spawnWorker(script, data);
    const ready = await spawned.ready;
    return new WorkerDetector(spawned, ready, { script, data, clock, metrics, logger });
  }

  get lastTimings(): DetectTimings | undefined {
    return this.timings;
  }

  detect(frame: Frame, options: DetectOptions): Promise<Detection[]> {
    if (this.shutdownPromise) return Promise.reject(new ModelError('detector_stopped', `detector for model "${this.model.name}" has been shut down`));
    const worker = this.worker;
    if (!worker) return Promise.reject(new ModelError('worker_restarting', `inference thread for model "${this.model.name}" died and is being restarted`));
    const slot = this.freeSlots.pop();
    if (slot === undefined) {
      return Promise.reject(new ModelError('detector_busy', `model "${this.model.name}" already has ${SLOTS} frames in its worker`));
    }
    // The frame fills the slot exactly: InferenceScheduler checked its size (frameSizeError).
    this.slots[slot]!.set(frame.pixels);
    const id = this.nextId++;
    const { cameraId, seq, captureTime, width, height, letterbox } = frame;
    const message: ToWorker = { type: 'detect', id, slot, cameraId, seq, captureTime, width, height, letterbox, options };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      worker.postMessage(message);
    });
  }

  /** Waits for the frames already handed over, then stops the thread; cancels a pending restart. Idempotent. */
  stop(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.restartTimer?.cancel();
      this.restartTimer = undefined;
      const loading = this.spawning;
      if (loading) {
        // Its model is not loaded yet and it holds no frames: nothing to wait for.
        void loading.worker.terminate();
        await loading.exited;
      }
      const worker = this.worker;
      if (worker) {
        worker.postMessage({ type: 'shutdown' } satisfies ToWorker);
        const timer = setTimeout(() => void worker.terminate(), SHUTDOWN_GRACE_MS);
        timer.unref();
        await this.exited;
        clearTimeout(timer);
      }
      this.log.debug('inference thread stopped');
    })();
    return this.shutdownPromise;
  }

  private attach(spawned: SpawnedWorker, ready: Ready): void {
    const { worker } = spawned;
    this.worker = worker;
    this.exited = spawned.exited;
    this.slots = ready.slots.map((buffer) => new Uint8Array(buffer));
    this.freeSlots = this.slots.map((_, i) => i);
    // 'error' (uncaught exception, memory limit) always comes before 'exit'; the exit handles both.
    let cause: Error | undefined;
    worker.on('error', (error) => {
      cause ??= error;
    });
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    void spawned.exited.then((code) => this.onExit(worker, code, cause));
  }

  private onMessage(message: FromWorker): void {
    if (message.type !== 'result' && message.type !== 'failed') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    this.freeSlots.push(pending.slot);
    if (message.type === 'result') {
      this.timings = message.timings;
      this.restartStreak = 0;
      pending.resolve(message.detections);
    } else {
      pending.reject(new ModelError(message.code, message.message));
    }
  }

  private onExit(worker: Worker, code: number, cause: Error | undefined): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    if (this.shutdownPromise) {
      // Frames still held when the grace period ran out.
      this.rejectPending(new ModelError('detector_stopped', `detector for model "${this.model.name}" was shut down before this frame finished`));
      return;
    }
    const reason = cause ? cause.message : `exited with code ${code}`;
    const error = new ModelError('worker_failed', `inference thread for model "${this.model.name}" died: ${reason}`, cause ? { cause } : undefined);
    this.rejectPending(error);
    const restartInMs = this.scheduleRestart();
    this.log.error({ err: error, exitCode: code, restartInMs }, 'inference thread died; restarting it');
  }

  private rejectPending(error: ModelError): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  private scheduleRestart(): number {
    const delayMs = backoffDelayMs(this.restartStreak, RESTART_MIN_MS, RESTART_MAX_MS);
    this.restartStreak += 1;
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = undefined;
      void this.restart();
    }, delayMs);
    return delayMs;
  }

  private async restart(): Promise<void> {
    if (this.shutdownPromise) return;
    let spawned: SpawnedWorker | undefined;
    let ready: Ready;
    try {
      spawned = spawnWorker(this.script, this.data);
      this.spawning = spawned;
      ready = await spawned.ready;
    } catch (error) {
      if (spawned) void spawned.worker.terminate();
      if (!this.shutdownPromise) this.restartFailed(toError(error));
      return;
    } finally {
      this.spawning = undefined;
    }
    if (this.shutdownPromise) {
      // stop() came while the model loaded; it terminates the thread and waits for its exit.
      void spawned.worker.terminate();
      return;
    }
    this.attach(spawned, ready);
    this.failureLog.reset(RESTART_FAILED_KEY);
    this.metrics?.inferenceWorkerRestartsTotal.inc({ model: this.model.name });
    this.log.info({ attempts: this.restartStreak }, 'inference thread restarted');
  }

  private restartFailed(error: Error): void {
    const restartInMs = this.scheduleRestart();
    const admitted = this.failureLog.admit(RESTART_FAILED_KEY);
    if (!admitted) return;
    this.log.error(
      { err: error, restartInMs, failedAttempts: this.restartStreak - 1, unloggedFailures: admitted.suppressed },
      'inference thread could not be restarted; retrying',
    );
  }
}
