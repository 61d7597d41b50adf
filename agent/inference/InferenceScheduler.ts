import { performance } from 'node:perf_hooks';
import { frameSizeError } from '../../pipelines/detect/frameSizeError.js';
import { toError } from '../../pipelines/errors.js';
import type { DetectOptions, DetectTimings, Detector } from '../../pipelines/stages.js';
import type { Detection, Frame } from '../../pipelines/types.js';
import type { Logger } from '../observe/logger.js';

/** What one inference gave a camera: its detections, or why there are none. */
export type InferenceResult =
  | {
      readonly ok: true;
      readonly detections: Detection[];
      /** dispatch to result, preprocessing and postprocessing included */
      readonly elapsedMs: number;
      /** the detector's own split of that time, when it reports one */
      readonly timings: DetectTimings | undefined;
    }
  | { readonly ok: false; readonly error: Error; readonly elapsedMs: number };

/** A camera's side of the scheduler: the camera pipeline. */
export interface LaneHandler {
  /** read when the camera's frame is dispatched, so a reconfigure applies to the next frame */
  detectOptions(): DetectOptions;
  /**
   * Called once per dispatched frame, in frame order per camera, a returned promise settling
   * before the camera's next result is handed over. Other cameras' frames go on meanwhile.
   */
  onResult(frame: Frame, result: InferenceResult): void | Promise<void>;
  /** a waiting frame replaced by a newer one, or discarded by stop() */
  onDropped(frame: Frame): void;
}

export interface LaneCounts {
  readonly submitted: number;
  readonly dispatched: number;
  readonly dropped: number;
}

/** One camera's slot: at most one frame waiting, at most one in inference or being handled. */
export interface InferenceLane {
  readonly cameraId: string;
  /** Latest frame wins: a frame already waiting is replaced and reported dropped. Ignored after stop(). */
  submit(frame: Frame): void;
  /** Resolves once no frame of this camera is waiting, in inference or being handled. */
  idle(): Promise<void>;
  /** Drops the waiting frame (reported), waits for the one in flight, and leaves the scheduler. Idempotent. */
  stop(): Promise<void>;
  readonly counts: LaneCounts;
}

/** A detector that can usefully hold more than one frame (one running, others queued inside it). */
export interface PipelinedDetector extends Detector {
  readonly pipelineDepth: number;
  /** frames of one camera it may hold at once; default pipelineDepth */
  readonly laneDepth?: number;
}

export interface InferenceSchedulerDeps {
  readonly detector: Detector | PipelinedDetector;
  readonly logger: Logger;
}

class Lane implements InferenceLane {
  waiting: Frame | undefined;
  /** frames of this lane dispatched and not yet handled */
  inFlight = 0;
  /** the handling of this lane's last result, while it is asynchronous: results are handled in order */
  handling: Promise<void> | undefined;
  /** in the scheduler's ready queue */
  queued = false;
  closed = false;
  submitted = 0;
  dispatched = 0;
  dropped = 0;
  private idleWaiters: (() => void)[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    readonly cameraId: string,
    readonly handler: LaneHandler,
    private readonly scheduler: InferenceScheduler,
  ) {}

  get counts(): LaneCounts {
    return { submitted: this.submitted, dispatched: this.dispatched, dropped: this.dropped };
  }

  get isIdle(): boolean {
    return this.waiting === undefined && this.inFlight === 0;
  }

  submit(frame: Frame): void {
    if (this.closed) return;
    this.submitted += 1;
    const replaced = this.waiting;
    this.waiting = frame;
    if (replaced) this.drop(replaced);
    this.scheduler.ready(this);
  }

  idle(): Promise<void> {
    if (this.isIdle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting) this.drop(waiting);
      this.scheduler.remove(this);
      await this.idle();
    })();
    return this.closing;
  }

  /** Called by the scheduler whenever the lane may have become idle. */
  settle(): void {
    if (!this.isIdle) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private drop(frame: Frame): void {
    this.dropped += 1;
    this.scheduler.guard(this, () => this.handler.onDropped(frame));
    frame.release?.();
    this.settle();
  }
}

/**
 * One model's inference, shared by every camera that uses it. Each camera has a lane holding at
 * most one waiting frame (latest frame wins; a replaced frame is reported dropped to its camera),
 * and cameras with a frame waiting are served in turn, oldest-waiting first: a busy camera cannot
 * starve the others, and under overload frames are dropped, never queued, so the age of any frame
 * at dispatch stays below one round of the cameras. The detector gets one frame at a time, or
 * its `pipelineDepth` (a worker keeps the next frame queued beside the running one, so it never
 * waits for this thread between frames).
 */
export class InferenceScheduler {
  private readonly deps: InferenceSchedulerDeps;
  private readonly log: Logger;
  private readonly depth: number;
  private readonly laneDepth: number;
  private readonly lanes = new Set<Lane>();
  /** lanes with a frame waiting that may dispatch, in the order they became ready */
  private readonly readyQueue: Lane[] = [];
  private running = 0;
  private busySince = 0;
  private busyMs = 0;

  constructor(deps: InferenceSchedulerDeps) {
    this.deps = deps;
    this.log = deps.logger.child({ component: 'scheduler', model: deps.detector.model.name });
    const depth = 'pipelineDepth' in deps.detector ? deps.detector.pipelineDepth : 1;
    this.depth = Math.max(1, Math.floor(depth));
    const laneDepth = ('laneDepth' in deps.detector && deps.detector.laneDepth) || this.depth;
    this.laneDepth = Math.max(1, Math.min(this.depth, Math.floor(laneDepth)));
  }

  get detector(): Detector {
    return this.deps.detector;
  }

  /** A lane for one camera; close it when the camera stops. */
  open(cameraId: string, handler: LaneHandler): InferenceLane {
    const lane = new Lane(cameraId, handler, this);
    this.lanes.add(lane);
    return lane;
  }

  /** Milliseconds with at least one frame in the detector since the scheduler was built (for utilisation). */
  get busyMilliseconds(): number {
    return this.busyMs + (this.running > 0 ? performance.now() - this.busySince : 0);
  }

  get laneCount(): number {
    return this.lanes.size;
  }

  /** @internal the lane has a frame waiting */
  ready(lane: Lane): void {
    if (lane.waiting && !lane.queued && !lane.closed && lane.inFlight < this.laneDepth) {
      lane.queued = true;
      this.readyQueue.push(lane);
    }
    this.pump();
  }

  /** @internal */
  remove(lane: Lane): void {
    this.lanes.delete(lane);
    const index = this.readyQueue.indexOf(lane);
    if (index >= 0) this.readyQueue.splice(index, 1);
    lane.queued = false;
  }

  /** @internal runs a handler callback; a throwing handler is logged and never stalls the scheduler */
  guard(lane: Lane, call: () => void | Promise<void>): void | Promise<void> {
    try {
      const settled = call();
      if (settled instanceof Promise) return settled.catch((error: unknown) => this.handlerFailed(lane, error));
    } catch (error) {
      this.handlerFailed(lane, error);
    }
    return undefined;
  }

  private handlerFailed(lane: Lane, error: unknown): void {
    this.log.error({ camera: lane.cameraId, err: toError(error) }, 'camera pipeline threw while handling an inference result');
  }

  private pump(): void {
    while (this.running < this.depth) {
      const lane = this.readyQueue.shift();
      if (!lane) return;
      lane.queued = false;
      const frame = lane.waiting;
      if (frame) this.dispatch(lane, frame);
    }
  }

  private dispatch(lane: Lane, frame: Frame): void {
    lane.waiting = undefined;
    lane.inFlight += 1;
    lane.dispatched += 1;
    if (this.running === 0) this.busySince = performance.now();
    this.running += 1;
    const dispatchedAt = performance.now();
    let pending: Promise<Detection[]>;
    try {
      // The one frame-size check: every detector behind this point takes the size as given.
      const misfit = frameSizeError(frame, this.deps.detector.model);
      pending = misfit ? Promise.reject(misfit) : this.deps.detector.detect(frame, lane.handler.detectOptions());
    } catch (error) {
      pending = Promise.reject(toError(error));
    }
    // Once detect() settles the detector has read the pixels: the buffer goes back to its source.
    pending.then(
      (detections) => {
        frame.release?.();
        this.finish(lane, frame, { ok: true, detections, elapsedMs: this.done(dispatchedAt), timings: this.deps.detector.lastTimings });
      },
      (error: unknown) => {
        frame.release?.();
        this.finish(lane, frame, { ok: false, error: toError(error), elapsedMs: this.done(dispatchedAt) });
      },
    );
  }

  private done(dispatchedAt: number): number {
    const now = performance.now();
    this.running -= 1;
    if (this.running === 0) this.busyMs += now - this.busySince;
    return now - dispatchedAt;
  }

  /**
   * The result is handed over before the next frame is dispatched: with the model on this thread,
   * this frame's alerts then go out before the next inference blocks it.
   */
  private finish(lane: Lane, frame: Frame, result: InferenceResult): void {
    const deliver = (): void | Promise<void> => this.guard(lane, () => lane.handler.onResult(frame, result));
    const handled = lane.handling ? lane.handling.then(deliver) : deliver();
    if (handled instanceof Promise) {
      const chained: Promise<void> = handled.then(() => {
        if (lane.handling === chained) lane.handling = undefined;
        this.release(lane);
      });
      lane.handling = chained;
      this.pump();
    } else {
      this.release(lane);
    }
  }

  private release(lane: Lane): void {
    lane.inFlight -= 1;
    // Served: to the back of the queue if another frame came meanwhile.
    if (lane.waiting && !lane.closed) this.ready(lane);
    else this.pump();
    lane.settle();
  }
}
