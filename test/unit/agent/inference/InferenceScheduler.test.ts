import { describe, expect, it } from 'vitest';
import { InferenceScheduler, type InferenceLane, type InferenceResult } from '../../../../agent/inference/InferenceScheduler.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import type { Detector } from '../../../../pipelines/stages.js';
import type { Detection, Frame } from '../../../../pipelines/types.js';
import { fakeFrame, fakeModel, GatedDetector } from '../../../helpers/fakeStages.js';
import { ManualClock } from '../../../helpers/manualClock.js';

const logger = createRootLogger({ level: 'silent' });
const options = { minScore: 0.25, iouThreshold: 0.45 };
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A camera as the scheduler sees it: what came back, what was dropped. */
class RecordingCamera {
  readonly results: { frame: Frame; result: InferenceResult }[] = [];
  readonly dropped: Frame[] = [];
  lane!: InferenceLane;
  private seq = 0;
  constructor(
    readonly id: string,
    scheduler: InferenceScheduler,
    private readonly clock?: ManualClock,
  ) {
    this.lane = scheduler.open(id, {
      detectOptions: () => options,
      onResult: (frame, result) => {
        this.results.push({ frame, result });
      },
      onDropped: (frame) => this.dropped.push(frame),
    });
  }
  submit(): Frame {
    this.seq += 1;
    const frame = fakeFrame(this.id, this.seq, this.clock?.now() ?? this.seq);
    this.lane.submit(frame);
    return frame;
  }
}

/** A detector that takes `inferenceMs` of a manual clock per frame. */
class ClockedDetector implements Detector {
  readonly model = fakeModel;
  readonly started: { frame: Frame; at: number }[] = [];
  constructor(
    private readonly clock: ManualClock,
    private readonly inferenceMs: number,
  ) {}
  detect(frame: Frame): Promise<Detection[]> {
    this.started.push({ frame, at: this.clock.now() });
    return new Promise((resolve) => this.clock.setTimeout(() => resolve([]), this.inferenceMs));
  }
  async stop(): Promise<void> {}
}

describe('InferenceScheduler', () => {
  it('releases each frame once its pixels are done with: a replaced frame at once, a dispatched one when detect() settles (or fails)', async () => {
    const detector = new GatedDetector();
    const lane = new InferenceScheduler({ detector, logger }).open('a', {
      detectOptions: () => options,
      onResult: () => undefined,
      onDropped: () => undefined,
    });
    const released: number[] = [];
    const frame = (seq: number): Frame => ({ ...fakeFrame('a', seq, seq), release: () => released.push(seq) });
    lane.submit(frame(1));
    lane.submit(frame(2));
    lane.submit(frame(3));
    expect(released).toEqual([2]);
    await settle();
    expect(released).toEqual([2]);
    detector.finish([]);
    await settle();
    expect(released).toEqual([2, 1]);
    detector.fail(new Error('model broke'));
    await settle();
    expect(released).toEqual([2, 1, 3]);
    lane.submit(frame(4));
    lane.submit(frame(5));
    const closed = lane.stop();
    expect(released).toEqual([2, 1, 3, 5]);
    detector.finish([]);
    await closed;
    expect(released).toEqual([2, 1, 3, 5, 4]);
  });

  it('keeps one frame waiting per camera: the latest wins, and every replaced frame is reported dropped', async () => {
    const detector = new GatedDetector();
    const camera = new RecordingCamera('a', new InferenceScheduler({ detector, logger }));
    const frames = [camera.submit(), camera.submit(), camera.submit(), camera.submit()];
    expect(detector.calls).toEqual([frames[0]]);
    expect(camera.dropped).toEqual([frames[1], frames[2]]);
    detector.finish([]);
    await settle();
    expect(detector.calls).toEqual([frames[0], frames[3]]);
    detector.finish([]);
    await settle();
    expect(camera.results.map((r) => r.frame)).toEqual([frames[0], frames[3]]);
    expect(camera.lane.counts).toEqual({ submitted: 4, dispatched: 2, dropped: 2 });
  });

  it('serves cameras in turn, so one camera flooding frames cannot starve the others', async () => {
    const detector = new GatedDetector();
    const scheduler = new InferenceScheduler({ detector, logger });
    const [a, b, c] = ['a', 'b', 'c'].map((id) => new RecordingCamera(id, scheduler));
    a!.submit();
    for (let round = 0; round < 30; round++) {
      // a sends five frames for every one of b's and c's
      for (let i = 0; i < 5; i++) a!.submit();
      b!.submit();
      c!.submit();
      detector.finish([]);
      await settle();
    }
    const order = detector.calls.map((frame) => frame.cameraId);
    // after the first frame, strict rotation: no camera served twice while another waited
    expect(order.slice(1, 31).join('')).toBe('bca'.repeat(10));
    const served = (id: string): number => order.filter((camera) => camera === id).length;
    expect(Math.max(served('a'), served('b'), served('c')) - Math.min(served('a'), served('b'), served('c'))).toBeLessThanOrEqual(1);
    // drops are each camera's own: a replaced far more frames than b or c
    expect(a!.dropped.length).toBeGreaterThan(100);
    expect(a!.lane.counts.dropped).toBe(a!.dropped.length);
    expect(b!.lane.counts.submitted - b!.lane.counts.dispatched - b!.lane.counts.dropped).toBeLessThanOrEqual(1);
  });

  it('bounds the age of every frame at dispatch under overload by dropping, never queueing', async () => {
    // 6 cameras at 5 fps on a 50 ms model: 30 frames/s offered, 20 served.
    const clock = new ManualClock();
    const detector = new ClockedDetector(clock, 50);
    const scheduler = new InferenceScheduler({ detector, logger });
    const cameras = Array.from({ length: 6 }, (_, i) => new RecordingCamera(`cam-${i}`, scheduler, clock));
    for (let tick = 0; tick < 100; tick++) {
      // each camera's frame arrives at its own phase within the 200 ms period
      for (const [i, camera] of cameras.entries()) {
        if ((tick * 10) % 200 === i * 30) camera.submit();
      }
      clock.advance(10);
      await settle();
    }
    const ages = detector.started.map(({ frame, at }) => at - frame.captureTime);
    expect(Math.max(...ages)).toBeLessThanOrEqual(6 * 50);
    const dropped = cameras.reduce((sum, camera) => sum + camera.dropped.length, 0);
    const submitted = cameras.reduce((sum, camera) => sum + camera.lane.counts.submitted, 0);
    expect(dropped).toBeGreaterThan(0);
    expect(detector.started.length + dropped).toBeGreaterThanOrEqual(submitted - cameras.length);
  });

  it('reports a failed inference to its camera and carries on with the next frame', async () => {
    const detector = new GatedDetector();
    const scheduler = new InferenceScheduler({ detector, logger });
    const a = new RecordingCamera('a', scheduler);
    const b = new RecordingCamera('b', scheduler);
    a.submit();
    b.submit();
    detector.fail(new Error('model exploded'));
    await settle();
    expect(a.results[0]!.result).toMatchObject({ ok: false, error: { message: 'model exploded' } });
    detector.finish([]);
    await settle();
    expect(b.results[0]!.result).toMatchObject({ ok: true, detections: [] });
  });

  it('does not stall when a camera throws while handling its result', async () => {
    const detector = new GatedDetector();
    const scheduler = new InferenceScheduler({ detector, logger });
    const broken = scheduler.open('broken', {
      detectOptions: () => options,
      onResult: () => {
        throw new Error('policy bug');
      },
      onDropped: () => undefined,
    });
    const healthy = new RecordingCamera('healthy', scheduler);
    broken.submit(fakeFrame('broken', 1, 1));
    healthy.submit();
    detector.finish([]);
    await settle();
    detector.finish([]);
    await settle();
    expect(healthy.results).toHaveLength(1);
    await broken.idle();
  });

  it("waits for a camera's asynchronous handling before its next frame, but not before other cameras' frames", async () => {
    const detector = new GatedDetector();
    const scheduler = new InferenceScheduler({ detector, logger });
    let release: () => void = () => undefined;
    const slow = scheduler.open('slow', {
      detectOptions: () => options,
      onResult: () => new Promise<void>((resolve) => (release = resolve)),
      onDropped: () => undefined,
    });
    const other = new RecordingCamera('other', scheduler);
    slow.submit(fakeFrame('slow', 1, 1));
    detector.finish([]);
    await settle();
    slow.submit(fakeFrame('slow', 2, 2));
    other.submit();
    await settle();
    expect(detector.calls.map((f) => `${f.cameraId}${f.seq}`)).toEqual(['slow1', 'other1']);
    release();
    detector.finish([]);
    await settle();
    expect(detector.calls.map((f) => `${f.cameraId}${f.seq}`)).toEqual(['slow1', 'other1', 'slow2']);
  });

  it('keeps a pipelined detector fed with its depth of frames, and hands results back in frame order', async () => {
    class TwoDeep extends GatedDetector {
      readonly pipelineDepth = 2;
    }
    const detector = new TwoDeep();
    const scheduler = new InferenceScheduler({ detector, logger });
    const a = new RecordingCamera('a', scheduler);
    const b = new RecordingCamera('b', scheduler);
    const [a1, a2, a3] = [a.submit(), a.submit(), a.submit()];
    // a1 runs, a2 is queued inside the detector, a3 waits in the lane; b takes its turn next.
    expect(detector.calls).toEqual([a1, a2]);
    b.submit();
    detector.finish([]);
    await settle();
    expect(detector.calls.map((f) => `${f.cameraId}${f.seq}`)).toEqual(['a1', 'a2', 'b1']);
    detector.finish([]);
    await settle();
    detector.finish([]);
    await settle();
    detector.finish([]);
    await settle();
    expect(a.results.map((r) => r.frame)).toEqual([a1, a2, a3]);
    expect(a.dropped).toEqual([]);
  });

  it('close() drops the waiting frame, waits for the one in flight, and takes no more', async () => {
    const detector = new GatedDetector();
    const camera = new RecordingCamera('a', new InferenceScheduler({ detector, logger }));
    camera.submit();
    const waiting = camera.submit();
    let closed = false;
    const closing = camera.lane.stop().then(() => (closed = true));
    expect(camera.dropped).toEqual([waiting]);
    await settle();
    expect(closed).toBe(false);
    detector.finish([]);
    await closing;
    camera.submit();
    expect(detector.calls).toHaveLength(1);
    expect(camera.results).toHaveLength(1);
    await camera.lane.stop();
  });

  it('fails a frame not at the model input size with bad_frame, without handing it to the detector', async () => {
    const detector = new GatedDetector();
    const camera = new RecordingCamera('a', new InferenceScheduler({ detector, logger }));
    // fakeModel is 4x4: 4 x 4 x 3 = 48 bytes; this frame has the right size but one byte short
    const short = { ...fakeFrame('a', 1, 1), pixels: new Uint8Array(47) };
    camera.lane.submit(short);
    await camera.lane.idle();
    expect(detector.calls).toEqual([]);
    expect(camera.results[0]?.result).toMatchObject({ ok: false, error: { code: 'bad_frame' } });
    // the lane goes on: the next frame that fits reaches the detector
    const fits = camera.submit();
    await settle();
    expect(detector.calls).toEqual([fits]);
  });

  it('idle() resolves once nothing of the camera is waiting or in flight', async () => {
    const detector = new GatedDetector();
    const camera = new RecordingCamera('a', new InferenceScheduler({ detector, logger }));
    await camera.lane.idle();
    camera.submit();
    camera.submit();
    let idle = false;
    void camera.lane.idle().then(() => (idle = true));
    detector.finish([]);
    await settle();
    expect(idle).toBe(false);
    detector.finish([]);
    await settle();
    expect(idle).toBe(true);
  });
});
