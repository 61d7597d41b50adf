import type { PipelineMetrics } from '../../agent/CameraPipeline.js';
import type { Alert } from '../../pipelines/alerts.js';
import type { AlertSink, Detector, FrameSource, FrameSourceListener, ModelInfo } from '../../pipelines/stages.js';
import type { Detection, Frame } from '../../pipelines/types.js';

/** Test doubles for stages that cannot run inside a unit test; integration tests use the real ones. */

export const fakeModel: ModelInfo = {
  name: 'fake-model',
  family: 'yolox',
  sha256: 'c'.repeat(64),
  inputWidth: 4,
  inputHeight: 4,
  labels: ['person'],
};

export function fakeFrame(cameraId: string, seq: number, captureTime: number): Frame {
  return {
    cameraId,
    seq,
    captureTime,
    width: 4,
    height: 4,
    pixels: new Uint8Array(48),
    letterbox: { scale: 1, padX: 0, padY: 0, sourceWidth: 4, sourceHeight: 4 },
  };
}

export class ManualFrameSource implements FrameSource {
  listener: FrameSourceListener | undefined;
  stops = 0;
  constructor(readonly cameraId: string) {}
  start(listener: FrameSourceListener): void {
    this.listener = listener;
  }
  async stop(): Promise<void> {
    this.stops += 1;
  }
}

/** A detector whose calls complete only when the test says so. */
export class GatedDetector implements Detector {
  /** the scheduler checks every frame against this model's input size */
  readonly model: ModelInfo;
  readonly calls: Frame[] = [];
  /**
   * The pixels as they were when detect() was called: WorkerDetector copies them into its shared
   * slot at that moment, so this, not `calls[i].pixels` (a live reference), is what the model sees.
   */
  readonly received: Uint8Array[] = [];
  private readonly resolvers: ((detections: Detection[]) => void)[] = [];
  private readonly rejecters: ((error: Error) => void)[] = [];
  constructor(model: ModelInfo = fakeModel) {
    this.model = model;
  }
  detect(frame: Frame): Promise<Detection[]> {
    this.calls.push(frame);
    this.received.push(frame.pixels.slice());
    return new Promise((resolve, reject) => {
      this.resolvers.push(resolve);
      this.rejecters.push(reject);
    });
  }
  finish(detections: Detection[]): void {
    this.rejecters.shift();
    this.resolvers.shift()?.(detections);
  }
  fail(error: Error): void {
    this.resolvers.shift();
    this.rejecters.shift()?.(error);
  }
  async stop(): Promise<void> {}
}

export class MemorySink implements AlertSink {
  readonly alerts: Alert[] = [];
  refuse = false;
  async publish(alert: Alert): Promise<void> {
    if (this.refuse) throw new Error('broker refused');
    this.alerts.push(alert);
  }
  async stop(): Promise<void> {}
}

/** Records every metric call as `name{label=value,...}` → summed value / observation count. */
export class RecordingMetrics implements PipelineMetrics {
  readonly counts = new Map<string, number>();
  private record(name: string, labels: object, value = 1): void {
    const key = `${name}${JSON.stringify(labels)}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + value);
  }
  get(name: string, labels: object = {}): number {
    return this.counts.get(`${name}${JSON.stringify(labels)}`) ?? 0;
  }
  readonly framesTotal = { inc: (labels: object) => this.record('frames', labels) };
  readonly stageSeconds = { observe: (labels: object) => this.record('stage', labels) };
  readonly inferenceSeconds = { observe: (labels: object) => this.record('inference', labels) };
  readonly frameToAlertSeconds = { observe: () => this.record('frameToAlert', {}) };
  readonly alertsTotal = { inc: (labels: object) => this.record('alerts', labels) };
  readonly maskedDetectionsTotal = { inc: (labels: object, value: number) => this.record('masked', labels, value) };
  readonly cameraRestartsTotal = { inc: (labels: object) => this.record('restarts', labels) };
}
