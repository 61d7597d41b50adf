import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceScheduler, type InferenceResult } from '../../../agent/inference/InferenceScheduler.js';
import { loadDetector } from '../../../agent/inference/loadDetector.js';
import type { OnnxDetector } from '../../../agent/inference/OnnxDetector.js';
import { detectorWorkerScript, WorkerDetector } from '../../../agent/inference/WorkerDetector.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import type { Frame } from '../../../pipelines/types.js';
import { frameFromImage, letterboxImage } from '../../helpers/letterboxImage.js';
import { dogPath, sharedModelsDir } from '../../helpers/paths.js';

const logger = createRootLogger({ level: 'silent' });
const options = { minScore: 0.3, iouThreshold: 0.45 };

describe('WorkerDetector', () => {
  let scratch: string;
  let inThread: OnnxDetector;
  let worker: WorkerDetector;
  let frame: Frame;

  beforeAll(async () => {
    // The worker runs the compiled script: `npm test` builds dist/ first.
    expect(detectorWorkerScript(), 'dist/agent/inference/detectorWorker.js: run `npm run build`').toBeDefined();
    scratch = await mkdtemp(join(tmpdir(), 'c5-worker-'));
    const load = { name: 'yolox-nano', cacheDir: join(scratch, 'empty'), mirrorDir: sharedModelsDir, logger };
    inThread = await loadDetector(load);
    worker = await WorkerDetector.start({ ...load, logLevel: 'silent' });
    frame = frameFromImage(await letterboxImage(dogPath, 416, 416));
  });

  afterAll(async () => {
    await inThread?.stop();
    await worker?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('finds exactly what the same model finds on the main thread, with its timings', async () => {
    const expected = await inThread.detect(frame, options);
    expect(expected.map((d) => d.label).sort()).toEqual(expect.arrayContaining(['bicycle', 'dog']));
    expect(await worker.detect(frame, options)).toEqual(expected);
    expect(worker.model).toEqual(inThread.model);
    expect(worker.lastTimings?.inferenceMs).toBeGreaterThan(0);
  });

  it('takes a second frame while one runs, answers both in order, and refuses a third', async () => {
    const grey: Frame = { ...frame, pixels: new Uint8Array(frame.pixels.length).fill(114) };
    const first = worker.detect(frame, options);
    const second = worker.detect(grey, options);
    await expect(worker.detect(frame, options)).rejects.toMatchObject({ code: 'detector_busy' });
    const order: string[] = [];
    await Promise.all([first.then(() => order.push('first')), second.then(() => order.push('second'))]);
    expect(order).toEqual(['first', 'second']);
    expect(await second).toEqual([]);
    // the slots came back: the next frames go through again
    expect((await worker.detect(frame, options)).length).toBeGreaterThan(0);
  });

  it('refuses a frame of the wrong size where it enters the scheduler, before the thread; the next frame goes through', async () => {
    const results: { seq: number; result: InferenceResult }[] = [];
    const lane = new InferenceScheduler({ detector: worker, logger }).open('cam', {
      detectOptions: () => options,
      onResult: (done, result) => void results.push({ seq: done.seq, result }),
      onDropped: () => undefined,
    });
    lane.submit({ ...frame, cameraId: 'cam', seq: 1, width: 320, height: 320, pixels: new Uint8Array(320 * 320 * 3) });
    await lane.idle();
    lane.submit({ ...frame, cameraId: 'cam', seq: 2 });
    await lane.idle();
    await lane.stop();
    const [small, good] = results;
    expect(small?.result).toMatchObject({ ok: false, error: { code: 'bad_frame', message: expect.stringContaining('needs 416x416') } });
    expect(good?.result.ok && good.result.detections.length).toBeGreaterThan(0);
  });

  it('reports a model that cannot load with its own error code', async () => {
    await expect(
      WorkerDetector.start({ name: 'yolox-nano', cacheDir: join(scratch, 'empty'), mirrorDir: join(scratch, 'no-models'), logger, logLevel: 'silent' }),
    ).rejects.toMatchObject({ code: 'model_not_found' });
  });

  it('finishes the frames it holds on shutdown, then refuses more', async () => {
    const own = await WorkerDetector.start({ name: 'yolox-nano', cacheDir: join(scratch, 'empty'), mirrorDir: sharedModelsDir, logger, logLevel: 'silent' });
    const pending = own.detect(frame, options);
    const stopped = own.stop();
    expect((await pending).length).toBeGreaterThan(0);
    await stopped;
    await expect(own.detect(frame, options)).rejects.toMatchObject({ code: 'detector_stopped' });
  });
});
