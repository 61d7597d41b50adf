import { describe, expect, it } from 'vitest';
import { InferenceScheduler } from '../../../../agent/inference/InferenceScheduler.js';
import { WorkerPoolDetector } from '../../../../agent/inference/WorkerPoolDetector.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { ModelError } from '../../../../pipelines/errors.js';
import type { Detection } from '../../../../pipelines/types.js';
import { fakeFrame, GatedDetector } from '../../../helpers/fakeStages.js';
import { ManualClock } from '../../../helpers/manualClock.js';

const options = { minScore: 0.25, iouThreshold: 0.45 };
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One inference thread as the pool sees it: two slots, completing when the test says. */
class GatedThread extends GatedDetector {
  readonly pipelineDepth = 2;
  stops = 0;
  override async stop(): Promise<void> {
    this.stops += 1;
  }
  /** camera/seq of every frame it was given */
  get seen(): string[] {
    return this.calls.map((frame) => `${frame.cameraId}${frame.seq}`);
  }
}

function setup(threads = 2) {
  const clock = new ManualClock();
  const members = Array.from({ length: threads }, () => new GatedThread());
  const pool = new WorkerPoolDetector({ members, clock });
  const results: string[] = [];
  const detect = (cameraId: string, seq: number): Promise<Detection[]> => {
    const run = pool.detect(fakeFrame(cameraId, seq, seq), options);
    run.then(
      () => results.push(`${cameraId}${seq}`),
      (error: Error) => results.push(`${cameraId}${seq}:${error.message}`),
    );
    return run;
  };
  return { clock, members, pool, results, detect };
}

describe('WorkerPoolDetector', () => {
  it('sends a camera with nothing in flight to the least loaded thread, and keeps its later frames there, in order', async () => {
    const { members, detect, results } = setup();
    const [a, b] = members;
    void detect('x', 1);
    void detect('y', 1);
    void detect('x', 2);
    void detect('x', 3); // a's slots are full: it waits in a's queue, not on b
    expect(a!.seen).toEqual(['x1', 'x2']);
    expect(b!.seen).toEqual(['y1']);
    a!.finish([]);
    await settle();
    expect(a!.seen).toEqual(['x1', 'x2', 'x3']);
    a!.finish([]);
    a!.finish([]);
    b!.finish([]);
    await settle();
    expect(results).toEqual(['x1', 'x2', 'x3', 'y1']);
    // x has nothing in flight now: its next frame goes wherever the load is least
    void detect('y', 2);
    void detect('x', 4);
    expect(a!.seen.at(-1)).toBe('y2');
    expect(b!.seen.at(-1)).toBe('x4');
  });

  it('tells the scheduler its depth in all and per camera, so one camera cannot hold every slot', async () => {
    const { pool, members } = setup();
    expect(pool.pipelineDepth).toBe(4);
    expect(pool.laneDepth).toBe(2);
    const scheduler = new InferenceScheduler({ detector: pool, logger: createRootLogger({ level: 'silent' }) });
    const lanes = ['p', 'q'].map((id) => scheduler.open(id, { detectOptions: () => options, onResult: () => undefined, onDropped: () => undefined }));
    for (let seq = 1; seq <= 4; seq++) lanes[0]!.submit(fakeFrame('p', seq, seq));
    lanes[1]!.submit(fakeFrame('q', 1, 1));
    await settle();
    const handed = members.flatMap((member) => member.seen);
    expect(handed.filter((frame) => frame.startsWith('p'))).toHaveLength(2);
    expect(handed).toContain('q1');
    expect(members.map((member) => member.seen.length).reduce((sum, n) => sum + n, 0)).toBe(3);
  });

  it('passes over a thread that is restarting for a second, then tries it again', async () => {
    const { clock, members, detect, results } = setup();
    const [a, b] = members;
    void detect('x', 1);
    a!.fail(new ModelError('worker_restarting', 'inference thread died and is being restarted'));
    await settle();
    expect(results).toEqual(['x1:inference thread died and is being restarted']);
    void detect('y', 1);
    void detect('z', 1);
    void detect('w', 1);
    // w1 waits for one of b's slots rather than go to the thread that is restarting
    expect(b!.seen).toEqual(['y1', 'z1']);
    expect(a!.seen).toEqual(['x1']);
    clock.advance(1_000);
    void detect('v', 1);
    expect(a!.seen).toEqual(['x1', 'v1']);
  });

  it('shuts every thread down once, and refuses frames after', async () => {
    const { pool, members, detect } = setup();
    void detect('x', 1);
    members[0]!.finish([]);
    await settle();
    await pool.stop();
    await pool.stop();
    expect(members.map((member) => member.stops)).toEqual([1, 1]);
    await expect(pool.detect(fakeFrame('x', 2, 2), options)).rejects.toMatchObject({ code: 'detector_stopped' });
    expect(() => new WorkerPoolDetector({ members: [], clock: new ManualClock() })).toThrow(ModelError);
  });
});
