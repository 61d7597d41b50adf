import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { CameraPipeline } from '../../../agent/CameraPipeline.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { parseSiteConfig } from '../../../pipelines/config/siteConfig.js';
import { RulePolicy } from '../../../pipelines/policy.js';
import { ByteTracker } from '../../../pipelines/track/ByteTracker.js';
import { trackerOptionsFor } from '../../../pipelines/track/trackerOptions.js';
import type { Detection } from '../../../pipelines/types.js';
import { fakeModel, GatedDetector, ManualFrameSource, MemorySink, RecordingMetrics } from '../../helpers/fakeStages.js';
import { ManualClock } from '../../helpers/manualClock.js';
import { SCENE_HEIGHT, SCENE_WIDTH, sceneFrame, type SceneOptions } from '../../helpers/sceneFrames.js';

const FRAME_MS = 200;
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const person: Detection = { label: 'person', classId: 0, score: 0.9, box: [0.35, 0.3, 0.39, 0.43] };
const parked: SceneOptions = { objects: [{ x: 150, y: 120, w: 16, h: 40 }] };

function setup() {
  const parsed = parseSiteConfig({
    version: 1,
    site: { id: 'site-a' },
    mqtt: { urls: ['mqtt://127.0.0.1:1'] },
    cameras: [
      {
        id: 'cam-1',
        source: { url: 'x' },
        analyticsFps: 5,
        motion: { enabled: true, recheckSeconds: 2 },
        tracker: { minHits: 1 },
        rules: [{ id: 'people', type: 'object_present', labels: ['person'] }],
      },
    ],
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const camera = parsed.config.cameras[0]!;
  const clock = new ManualClock();
  const source = new ManualFrameSource('cam-1');
  // the scenes are 416x416 model-input frames: the scheduler refuses any other size
  const detector = new GatedDetector({ ...fakeModel, inputWidth: SCENE_WIDTH, inputHeight: SCENE_HEIGHT });
  const sink = new MemorySink();
  const metrics = new RecordingMetrics();
  let alertSeq = 0;
  const pipeline = new CameraPipeline({
    camera,
    source,
    detector,
    tracker: new ByteTracker({ options: trackerOptionsFor(camera) }),
    policy: new RulePolicy(camera),
    sink,
    alertContext: { siteId: 'site-a', cameraId: 'cam-1', model: { name: 'm', sha256: 'a'.repeat(64) }, config: { version: 1, sha256: 'b'.repeat(64) } },
    nextAlertSeq: () => ++alertSeq,
    newAlertId: () => uuidv7(),
    onStatus: () => undefined,
    clock,
    logger: createRootLogger({ level: 'silent' }),
    metrics,
  });
  pipeline.start();
  let seq = 0;
  /** seqs of the frames whose pixels the pipeline gave back */
  const released: number[] = [];
  /** One frame 200 ms after the last; if it reaches the model, the model sees `seen` in it. */
  const step = async (scene: SceneOptions, seen: Detection[]): Promise<boolean> => {
    clock.advance(FRAME_MS);
    seq += 1;
    const calls = detector.calls.length;
    const frameSeq = seq;
    source.listener!.onFrame({ ...sceneFrame('cam-1', seq, clock.now(), { noise: 3, ...scene }), release: () => released.push(frameSeq) });
    if (detector.calls.length === calls) return false;
    detector.finish(seen);
    await settle();
    return true;
  };
  return { pipeline, detector, sink, metrics, clock, step, released };
}

describe('CameraPipeline with motion gating', () => {
  it('skips still frames without losing a parked object, re-checks it every recheckSeconds, and ends it once it leaves', async () => {
    const { pipeline, detector, sink, metrics, clock, step } = setup();
    expect(await step({}, [])).toBe(true);
    // The person walks in and stops.
    expect(await step(parked, [person])).toBe(true);
    expect(sink.alerts.map((a) => a.state)).toEqual(['start']);

    // 12 s parked: 60 frames, far beyond the tracker's 2 s of misses.
    const inferredAt: number[] = [];
    for (let i = 0; i < 60; i++) if (await step(parked, [person])) inferredAt.push(clock.now());
    const skipped = metrics.get('frames', { camera: 'cam-1', outcome: 'skipped_motion' });
    expect(skipped).toBeGreaterThanOrEqual(40);
    expect(skipped + inferredAt.length).toBe(60);
    // once the background has taken the person in, the model sees the scene every 2 s exactly
    const gaps = inferredAt.slice(1).map((at, i) => at - inferredAt[i]!);
    expect(gaps.slice(-4)).toEqual([2_000, 2_000, 2_000, 2_000]);
    // skipped frames never reached the tracker as "nothing there": the event is still open
    expect(sink.alerts.map((a) => a.state)).toEqual(['start']);
    expect(metrics.get('frames', { camera: 'cam-1', outcome: 'processed' })).toBe(2 + inferredAt.length);

    // The person leaves: motion, then the unmatched track keeps frames coming until it ends:
    // 10 frames coasting (2 s at 5 fps), then 15 lost (lostSeconds 3), kept for re-linking.
    const before = detector.calls.length;
    for (let i = 0; i < 30; i++) await step({}, []);
    expect(detector.calls.length - before).toBeGreaterThanOrEqual(26);
    expect(sink.alerts.map((a) => a.state)).toEqual(['start', 'end']);
    await pipeline.stop();
  });

  it("counts a skipped frame once, as skipped_motion, and never as dropped; gives back every frame's pixels once", async () => {
    const { pipeline, metrics, step, released } = setup();
    for (let i = 0; i < 5; i++) await step({}, []);
    expect(released).toEqual([1, 2, 3, 4, 5]);
    expect(metrics.get('frames', { camera: 'cam-1', outcome: 'processed' })).toBe(1);
    expect(metrics.get('frames', { camera: 'cam-1', outcome: 'skipped_motion' })).toBe(4);
    expect(metrics.get('frames', { camera: 'cam-1', outcome: 'dropped' })).toBe(0);
    await pipeline.stop();
  });
});
