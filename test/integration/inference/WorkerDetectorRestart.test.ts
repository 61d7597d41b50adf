import { mkdir, mkdtemp, rm, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { detectorWorkerScript, WorkerDetector } from '../../../agent/inference/WorkerDetector.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { createAgentMetrics, type AgentMetrics } from '../../../agent/observe/metrics.js';
import type { Frame } from '../../../pipelines/types.js';
import { frameFromImage, letterboxImage } from '../../helpers/letterboxImage.js';
import { ManualClock } from '../../helpers/manualClock.js';
import { dogPath, fixturesDir, sharedModelsDir } from '../../helpers/paths.js';

/** The real worker on the real model, dying of an uncaught exception on its second frame. */
const CRASHING_WORKER = join(fixturesDir, 'crashingDetectorWorker.mjs');
const MODEL_FILE = 'yolox_nano.onnx';
const options = { minScore: 0.3, iouThreshold: 0.45 };
/** a restart loads the model on a thread of a busy 2-core machine */
const RESTART_WAIT = { timeout: 15_000, interval: 20 };

const DIED = 'inference thread died; restarting it';
const RESTARTED = 'inference thread restarted';
const RESTART_FAILED = 'inference thread could not be restarted; retrying';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly restartInMs?: number;
  readonly err?: { readonly message: string };
}

interface Harness {
  readonly detector: WorkerDetector;
  readonly clock: ManualClock;
  readonly logs: LogLine[];
  /** the model's mirror folder: its weights are a link to the shared model, removable to break loading */
  readonly modelLink: string;
  restarts(): Promise<number | undefined>;
  logged(msg: string): LogLine[];
}

describe('WorkerDetector after its inference thread dies', () => {
  let scratch: string;
  let frame: Frame;
  const started: WorkerDetector[] = [];

  beforeAll(async () => {
    // The fixture wraps the compiled worker: `npm test` builds dist/ first.
    expect(detectorWorkerScript(), 'dist/agent/inference/detectorWorker.js: run `npm run build`').toBeDefined();
    scratch = await mkdtemp(join(tmpdir(), 'c5-worker-restart-'));
    frame = frameFromImage(await letterboxImage(dogPath, 416, 416));
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((detector) => detector.stop()));
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function startCrashing(): Promise<Harness> {
    const mirrorDir = await mkdtemp(join(scratch, 'mirror-'));
    const modelLink = join(mirrorDir, MODEL_FILE);
    await symlink(join(sharedModelsDir, MODEL_FILE), modelLink);
    await mkdir(join(scratch, 'empty'), { recursive: true });
    const logs: LogLine[] = [];
    const logger = createRootLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) } });
    const clock = new ManualClock();
    const metrics: AgentMetrics = createAgentMetrics({ siteId: 'site-a', version: '1', defaultMetrics: false });
    const detector = await WorkerDetector.start({
      name: 'yolox-nano',
      cacheDir: join(scratch, 'empty'),
      mirrorDir,
      logger,
      logLevel: 'silent',
      clock,
      metrics,
      workerScript: CRASHING_WORKER,
    });
    started.push(detector);
    return {
      detector,
      clock,
      logs,
      modelLink,
      restarts: async () => (await metrics.inferenceWorkerRestartsTotal.get()).values.find((v) => v.labels.model === 'yolox-nano')?.value,
      logged: (msg) => logs.filter((line) => line.msg === msg),
    };
  }

  /** One frame served, the next one kills the thread: it fails with `worker_failed`. */
  async function serveThenCrash(detector: WorkerDetector): Promise<void> {
    expect((await detector.detect(frame, options)).length).toBeGreaterThan(0);
    await expect(detector.detect(frame, options)).rejects.toMatchObject({
      code: 'worker_failed',
      message: expect.stringContaining('thrown on the second frame'),
    });
  }

  const refusedWhileRestarting = (detector: WorkerDetector): Promise<void> =>
    expect(detector.detect(frame, options)).rejects.toMatchObject({ code: 'worker_restarting' });

  it('fails the frame it held, refuses frames during the backoff, then serves again on a new thread', { timeout: 60_000 }, async () => {
    const t = await startCrashing();
    const model = structuredClone(t.detector.model);
    expect(await t.restarts()).toBe(0);

    await serveThenCrash(t.detector);
    const deaths = t.logged(DIED);
    expect(deaths).toHaveLength(1);
    expect(deaths[0]).toMatchObject({ level: 50, err: { message: expect.stringContaining('thrown on the second frame') } });
    const delay = deaths[0]!.restartInMs!;
    expect(delay).toBeGreaterThanOrEqual(250);
    expect(delay).toBeLessThanOrEqual(500);

    await refusedWhileRestarting(t.detector);
    t.clock.advance(delay - 1);
    expect(t.clock.pendingCount).toBe(1);
    await refusedWhileRestarting(t.detector);
    t.clock.advance(1);
    await vi.waitFor(async () => expect(await t.restarts()).toBe(1), RESTART_WAIT);

    const detections = await t.detector.detect(frame, options);
    expect(detections.map((d) => d.label)).toEqual(expect.arrayContaining(['bicycle', 'dog']));
    expect(t.detector.model).toEqual(model);
    expect(t.logged(RESTARTED)).toHaveLength(1);

    // a thread it stops itself is not a death
    await t.detector.stop();
    expect(t.clock.pendingCount).toBe(0);
    expect(t.logged(DIED)).toHaveLength(1);
    expect(await t.restarts()).toBe(1);
  });

  it('keeps retrying a restart whose model cannot load, logging the first failure, and resets the backoff after a detect', { timeout: 60_000 }, async () => {
    const t = await startCrashing();
    await serveThenCrash(t.detector);
    await unlink(t.modelLink);

    t.clock.advance(t.logged(DIED)[0]!.restartInMs!);
    // the attempt is over once it has scheduled the next one
    await vi.waitFor(() => expect(t.clock.pendingCount).toBe(1), RESTART_WAIT);
    const failures = t.logged(RESTART_FAILED);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 50, err: { message: expect.stringContaining(`model file ${MODEL_FILE} not found`) } });
    const second = failures[0]!.restartInMs!;
    expect(second).toBeGreaterThanOrEqual(500);
    expect(second).toBeLessThanOrEqual(1000);
    await refusedWhileRestarting(t.detector);

    // a second failure within the minute is retried but not logged again
    t.clock.advance(second);
    expect(t.clock.pendingCount).toBe(0);
    await vi.waitFor(() => expect(t.clock.pendingCount).toBe(1), RESTART_WAIT);
    expect(t.logged(RESTART_FAILED)).toHaveLength(1);
    expect(await t.restarts()).toBe(0);

    await symlink(join(sharedModelsDir, MODEL_FILE), t.modelLink);
    t.clock.advance(30_000);
    await vi.waitFor(async () => expect(await t.restarts()).toBe(1), RESTART_WAIT);

    // the new thread completed a detect, so its death starts the backoff from 0.5 s again
    await serveThenCrash(t.detector);
    const deaths = t.logged(DIED);
    expect(deaths).toHaveLength(2);
    expect(deaths[1]!.restartInMs).toBeLessThanOrEqual(500);
  });

  it('shuts down during a pending restart: resolves, cancels it and starts no thread', { timeout: 60_000 }, async () => {
    const t = await startCrashing();
    await serveThenCrash(t.detector);
    expect(t.clock.pendingCount).toBe(1);

    await t.detector.stop();
    expect(t.clock.pendingCount).toBe(0);
    t.clock.advance(60_000);
    expect(t.clock.pendingCount).toBe(0);
    await expect(t.detector.detect(frame, options)).rejects.toMatchObject({ code: 'detector_stopped' });
    await t.detector.stop();
    expect(await t.restarts()).toBe(0);
    expect(t.logged(RESTARTED)).toEqual([]);
    expect(t.logged(RESTART_FAILED)).toEqual([]);
  });

  it('shuts down while the replacement thread loads its model: that thread is stopped, not counted', { timeout: 60_000 }, async () => {
    const t = await startCrashing();
    await serveThenCrash(t.detector);

    t.clock.advance(30_000);
    // the replacement started synchronously and is loading the model now
    expect(t.clock.pendingCount).toBe(0);
    await t.detector.stop();
    expect(await t.restarts()).toBe(0);
    expect(t.logged(RESTARTED)).toEqual([]);
    expect(t.logged(RESTART_FAILED)).toEqual([]);
    expect(t.clock.pendingCount).toBe(0);
    await expect(t.detector.detect(frame, options)).rejects.toMatchObject({ code: 'detector_stopped' });
  });
});
