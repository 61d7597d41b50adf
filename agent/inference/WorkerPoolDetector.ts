import { ModelError, toError } from '../../pipelines/errors.js';
import type { DetectOptions, DetectTimings, ModelInfo } from '../../pipelines/stages.js';
import type { Detection, Frame } from '../../pipelines/types.js';
import type { Clock } from '../clock.js';
import type { PipelinedDetector } from './InferenceScheduler.js';

/** How long a thread that refused a frame because it was restarting is passed over. */
const UNHEALTHY_MS = 1_000;

interface Request {
  readonly frame: Frame;
  readonly options: DetectOptions;
  readonly resolve: (detections: Detection[]) => void;
  readonly reject: (error: Error) => void;
}

interface Member {
  readonly detector: PipelinedDetector;
  /** frames handed to the detector and not yet back */
  active: number;
  /** frames routed here, waiting for one of its slots, in order */
  readonly queue: Request[];
  /** passed over until then (epoch ms) */
  unhealthyUntil: number;
}

export interface WorkerPoolDetectorDeps {
  /** one model on each, loaded alike: the same `model` info */
  readonly members: readonly PipelinedDetector[];
  readonly clock: Clock;
}

/**
 * One model on several inference threads, seen as one detector. A small model gains little from
 * splitting one inference over two cores (ONNX Runtime's intra-op threads synchronise for every
 * operator), but two sessions each running whole frames side by side come close to doubling the
 * frames a second: measured 83 fps on one thread and 129 on two on the project's 2-core box.
 *
 * A camera's frames stay on one thread while any of them is there, so they come back in order
 * (each thread runs its frames first in, first out); a camera with nothing in flight goes to the
 * least loaded thread. The scheduler bounds the frames in flight to `pipelineDepth` in all and
 * `laneDepth` per camera, so the queue each thread keeps beside its slots stays that small.
 */
export class WorkerPoolDetector implements PipelinedDetector {
  readonly model: ModelInfo;
  readonly pipelineDepth: number;
  readonly laneDepth: number;
  private readonly deps: WorkerPoolDetectorDeps;
  private readonly members: Member[];
  /** the thread each camera's frames are on, and how many are there */
  private readonly routes = new Map<string, { member: Member; frames: number }>();
  private timings: DetectTimings | undefined;
  private shutdownPromise: Promise<void> | undefined;

  constructor(deps: WorkerPoolDetectorDeps) {
    const first = deps.members[0];
    if (!first) throw new ModelError('no_workers', 'an inference pool needs at least one thread');
    this.deps = deps;
    this.model = first.model;
    this.members = deps.members.map((detector) => ({ detector, active: 0, queue: [], unhealthyUntil: 0 }));
    this.pipelineDepth = deps.members.reduce((sum, member) => sum + member.pipelineDepth, 0);
    this.laneDepth = Math.min(...deps.members.map((member) => member.pipelineDepth));
  }

  /** Timings of the most recent detect() to settle, whichever thread ran it. */
  get lastTimings(): DetectTimings | undefined {
    return this.timings;
  }

  detect(frame: Frame, options: DetectOptions): Promise<Detection[]> {
    if (this.shutdownPromise) return Promise.reject(new ModelError('detector_stopped', `detector for model "${this.model.name}" has been shut down`));
    const route = this.routes.get(frame.cameraId) ?? { member: this.leastLoaded(), frames: 0 };
    route.frames += 1;
    this.routes.set(frame.cameraId, route);
    return new Promise<Detection[]>((resolve, reject) => {
      route.member.queue.push({ frame, options, resolve, reject });
      this.drain(route.member);
    }).finally(() => {
      route.frames -= 1;
      if (route.frames === 0) this.routes.delete(frame.cameraId);
    });
  }

  /** Waits for the frames already handed over on every thread, then stops them. Idempotent. */
  stop(): Promise<void> {
    this.shutdownPromise ??= Promise.all(this.members.map((member) => member.detector.stop())).then(() => undefined);
    return this.shutdownPromise;
  }

  private leastLoaded(): Member {
    const now = this.deps.clock.now();
    const load = (member: Member): number => member.active + member.queue.length + (member.unhealthyUntil > now ? 1_000 : 0);
    return this.members.reduce((best, member) => (load(member) < load(best) ? member : best));
  }

  private drain(member: Member): void {
    while (member.active < member.detector.pipelineDepth) {
      const request = member.queue.shift();
      if (!request) return;
      member.active += 1;
      let pending: Promise<Detection[]>;
      try {
        pending = member.detector.detect(request.frame, request.options);
      } catch (error) {
        pending = Promise.reject(toError(error));
      }
      pending.then(
        (detections) => {
          this.timings = member.detector.lastTimings;
          this.settle(member);
          request.resolve(detections);
        },
        (error: unknown) => {
          const failure = toError(error);
          if (failure instanceof ModelError && (failure.code === 'worker_restarting' || failure.code === 'worker_failed')) {
            member.unhealthyUntil = this.deps.clock.now() + UNHEALTHY_MS;
          }
          this.settle(member);
          request.reject(failure);
        },
      );
    }
  }

  private settle(member: Member): void {
    member.active -= 1;
    this.drain(member);
  }
}
