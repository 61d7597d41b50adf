import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { CameraPipeline } from '../../../agent/CameraPipeline.js';
import { systemClock } from '../../../agent/clock.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { alertSchema } from '../../../pipelines/alerts.js';
import { parseSiteConfig } from '../../../pipelines/config/siteConfig.js';
import { RulePolicy } from '../../../pipelines/policy.js';
import { IouTracker } from '../../../pipelines/track/IouTracker.js';
import type { Detection } from '../../../pipelines/types.js';
import { GatedDetector, ManualFrameSource, MemorySink, RecordingMetrics, fakeFrame } from '../../helpers/fakeStages.js';

function setup() {
  const parsed = parseSiteConfig({
    version: 2,
    site: { id: 'site-a' },
    mqtt: { urls: ['mqtt://127.0.0.1:1'] },
    cameras: [{ id: 'cam-1', source: { url: 'x' }, rules: [{ id: 'people', type: 'object_present', labels: ['person'] }] }],
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const camera = parsed.config.cameras[0]!;
  const source = new ManualFrameSource('cam-1');
  const detector = new GatedDetector();
  const sink = new MemorySink();
  const metrics = new RecordingMetrics();
  let seq = 0;
  const pipeline = new CameraPipeline({
    camera,
    source,
    detector,
    tracker: new IouTracker(),
    policy: new RulePolicy(camera),
    sink,
    alertContext: { siteId: 'site-a', cameraId: 'cam-1', model: { name: 'm', sha256: 'a'.repeat(64) }, config: { version: 2, sha256: 'b'.repeat(64) } },
    nextAlertSeq: () => ++seq,
    newAlertId: () => uuidv7(),
    onStatus: () => undefined,
    clock: systemClock,
    logger: createRootLogger({ level: 'silent' }),
    metrics,
  });
  pipeline.start();
  const push = (n: number): void => source.listener!.onFrame(fakeFrame('cam-1', n, 1_700_000_000_000 + n * 200));
  return { pipeline, source, detector, sink, metrics, push };
}

const person: Detection = { label: 'person', classId: 0, score: 0.9, box: [0.1, 0.1, 0.3, 0.6] };
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CameraPipeline', () => {
  it('keeps at most one frame waiting and counts every frame it replaces', async () => {
    const { detector, metrics, push, pipeline } = setup();
    for (let n = 1; n <= 5; n++) push(n);
    expect(detector.calls.map((f) => f.seq)).toEqual([1]);
    detector.finish([]);
    await settle();
    // 2, 3 and 4 were each replaced by a newer frame; 5 is the one that runs next.
    expect(detector.calls.map((f) => f.seq)).toEqual([1, 5]);
    expect(metrics.get('frames', { camera: 'cam-1', outcome: 'dropped' })).toBe(3);
    detector.finish([]);
    await settle();
    expect(metrics.get('frames', { camera: 'cam-1', outcome: 'processed' })).toBe(2);
    await pipeline.stop();
  });

  it('publishes one schema-valid start alert per track and records its latency', async () => {
    const { detector, sink, metrics, push, pipeline } = setup();
    push(1);
    detector.finish([person]);
    await settle();
    push(2);
    detector.finish([person]);
    await settle();
    expect(sink.alerts).toHaveLength(1);
    const alert = alertSchema.parse(sink.alerts[0]);
    expect(alert).toMatchObject({ seq: 1, state: 'start', ruleId: 'people', cameraId: 'cam-1', siteId: 'site-a', type: 'object_present' });
    expect(alert.frameTime).toBe(new Date(1_700_000_000_200).toISOString());
    expect(metrics.get('frameToAlert')).toBe(1);
    expect(metrics.get('alerts', { camera: 'cam-1', rule: 'people', outcome: 'published' })).toBe(1);
    await pipeline.stop();
  });

  it('counts a failed frame and a refused alert, and keeps going', async () => {
    const { detector, sink, metrics, push, pipeline } = setup();
    push(1);
    detector.fail(new Error('model exploded'));
    await settle();
    expect(metrics.get('frames', { camera: 'cam-1', outcome: 'failed' })).toBe(1);
    sink.refuse = true;
    push(2);
    detector.finish([person]);
    await settle();
    expect(metrics.get('alerts', { camera: 'cam-1', rule: 'people', outcome: 'failed' })).toBe(1);
    expect(metrics.get('frames', { camera: 'cam-1', outcome: 'processed' })).toBe(1);
    await pipeline.stop();
  });

  it('stops idempotently, ignores frames after stop, and counts the waiting frame as dropped', async () => {
    const { detector, source, metrics, push, pipeline } = setup();
    push(1);
    push(2);
    const stopping = pipeline.stop();
    detector.finish([]);
    await stopping;
    await pipeline.stop();
    push(3);
    expect(detector.calls.map((f) => f.seq)).toEqual([1]);
    expect(metrics.get('frames', { camera: 'cam-1', outcome: 'dropped' })).toBe(1);
    expect(source.stops).toBe(2);
  });
});
