import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { CameraPipeline } from '../../../agent/CameraPipeline.js';
import { systemClock } from '../../../agent/clock.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { alertSchema } from '../../../pipelines/alerts.js';
import { parseSiteConfig } from '../../../pipelines/config/siteConfig.js';
import { RulePolicy } from '../../../pipelines/policy.js';
import { ByteTracker } from '../../../pipelines/track/ByteTracker.js';
import type { Detection } from '../../../pipelines/types.js';
import { GatedDetector, ManualFrameSource, MemorySink, RecordingMetrics, fakeFrame } from '../../helpers/fakeStages.js';

function setup(cameraOverrides: Record<string, unknown> = {}) {
  const parsed = parseSiteConfig({
    version: 2,
    site: { id: 'site-a' },
    mqtt: { urls: ['mqtt://127.0.0.1:1'] },
    cameras: [{ id: 'cam-1', source: { url: 'x' }, rules: [{ id: 'people', type: 'object_present', labels: ['person'] }], ...cameraOverrides }],
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
    tracker: new ByteTracker({ options: { minHits: 1 } }),
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

  it('publishes one schema-valid start alert per track and records its hand-off time', async () => {
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
    expect(metrics.get('stage', { stage: 'publish' })).toBe(1);
    // Frame to PUBACK is the delivery's to observe; the sink's promise only means "stored".
    expect(metrics.get('frameToAlert')).toBe(0);
    expect(metrics.get('alerts', { camera: 'cam-1', rule: 'people', severity: 'medium', outcome: 'published' })).toBe(1);
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
    expect(metrics.get('alerts', { camera: 'cam-1', rule: 'people', severity: 'medium', outcome: 'failed' })).toBe(1);
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

  it('blanks privacy masks before inference and drops (and counts) detections anchored in them', async () => {
    // the fake frame is 4x4 RGB pixels of a 4x4 source: the mask covers its left half
    const { detector, sink, source, push, pipeline, metrics } = setup({
      privacyMasks: [
        {
          id: 'left',
          polygon: [
            [0, 0],
            [0.5, 0],
            [0.5, 1],
            [0, 1],
          ],
        },
      ],
    });
    const frame = fakeFrame('cam-1', 1, 1_700_000_000_200);
    frame.pixels.fill(37); // not the pad value, so the unmasked half shows its own pixels
    source.listener!.onFrame(frame);
    // What the model received, copied at detect() time as the worker copies it: masking after
    // hand-off would leave this unmasked even though the frame object is masked later.
    const received = detector.received[0]!;
    const row = (y: number): number[] => [...received.subarray(y * 12, y * 12 + 12)];
    // left two pixels (6 bytes) are the letterbox pad grey 114; the right two keep their 37s
    const expectedRow = [114, 114, 114, 114, 114, 114, 37, 37, 37, 37, 37, 37];
    for (let y = 0; y < 4; y++) expect(row(y), `row ${y}`).toEqual(expectedRow);
    detector.finish([person]); // feet at (0.2, 0.6): in the mask
    await settle();
    push(2);
    detector.finish([{ ...person, box: [0.6, 0.1, 0.8, 0.6] }]);
    await settle();
    expect(sink.alerts.map((a) => a.object?.bbox[0])).toEqual([0.6]);
    expect(metrics.get('masked', { camera: 'cam-1' })).toBe(1);
    await pipeline.stop();
  });

  it('publishes a crowding alert with the count and no object', async () => {
    const { detector, sink, push, pipeline } = setup({
      zones: [
        {
          id: 'all',
          polygon: [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ],
        },
      ],
      rules: [{ id: 'crowd', type: 'crowding', labels: ['person'], zone: 'all', minCount: 2, minDurationSeconds: 0 }],
    });
    push(1);
    detector.finish([person, { ...person, box: [0.6, 0.1, 0.8, 0.6] }]);
    await settle();
    expect(sink.alerts).toHaveLength(1);
    expect(alertSchema.parse(sink.alerts[0])).toMatchObject({ type: 'crowding', state: 'start', zone: { id: 'all' }, count: 2 });
    expect(sink.alerts[0]!.object).toBeUndefined();
    await pipeline.stop();
  });

  it('takes a new policy in place: the decoder keeps running, open events end under the old config, track ids stay', async () => {
    const { detector, source, sink, push, pipeline } = setup();
    push(1);
    detector.finish([person]);
    await settle();
    expect(sink.alerts.map((a) => [a.state, a.ruleId])).toEqual([['start', 'people']]);
    const trackId = sink.alerts[0]!.object!.trackId;

    const next = parseSiteConfig({
      version: 3,
      site: { id: 'site-a' },
      mqtt: { urls: ['mqtt://127.0.0.1:1'] },
      cameras: [{ id: 'cam-1', source: { url: 'x' }, rules: [{ id: 'people-v3', type: 'object_present', labels: ['person'], severity: 'high' }] }],
    });
    if (!next.ok) throw new Error(next.errors.join('\n'));
    const camera = next.config.cameras[0]!;
    push(2);
    // swapped while frame 2 is in inference: that frame is judged by the new policy
    pipeline.reconfigure({
      camera,
      policy: new RulePolicy(camera),
      alertContext: { siteId: 'site-a', cameraId: 'cam-1', model: { name: 'm', sha256: 'a'.repeat(64) }, config: { version: 3, sha256: 'd'.repeat(64) } },
    });
    expect(sink.alerts.map((a) => [a.state, a.ruleId, a.config.version])).toEqual([
      ['start', 'people', 2],
      ['end', 'people', 2],
    ]);
    detector.finish([person]);
    await settle();
    expect(sink.alerts[2]).toMatchObject({ state: 'start', ruleId: 'people-v3', severity: 'high', config: { version: 3 }, object: { trackId } });
    expect(sink.alerts).toHaveLength(3);
    expect(source.stops).toBe(0);
    expect(pipeline.framesReceived).toBe(2);
    await pipeline.stop();
  });

  it('keeps the open events of rules a new policy carries over unchanged, and ends only the others', async () => {
    const rules = [
      { id: 'people', type: 'object_present', labels: ['person'] },
      { id: 'vip', type: 'object_present', labels: ['person'], severity: 'low' },
    ];
    const { detector, sink, push, pipeline } = setup({ rules });
    push(1);
    detector.finish([person]);
    await settle();
    expect(sink.alerts.map((a) => `${a.ruleId} ${a.state}`)).toEqual(['people start', 'vip start']);
    const next = parseSiteConfig({
      version: 3,
      site: { id: 'site-a' },
      mqtt: { urls: ['mqtt://127.0.0.1:1'] },
      cameras: [{ id: 'cam-1', source: { url: 'x' }, rules: [rules[0], { ...rules[1], severity: 'high' }] }],
    });
    if (!next.ok) throw new Error(next.errors.join('\n'));
    const camera = next.config.cameras[0]!;
    pipeline.reconfigure({
      camera,
      policy: new RulePolicy(camera, pipeline.policy as RulePolicy),
      alertContext: { siteId: 'site-a', cameraId: 'cam-1', model: { name: 'm', sha256: 'a'.repeat(64) }, config: { version: 3, sha256: 'd'.repeat(64) } },
    });
    push(2);
    detector.finish([person]);
    await settle();
    expect(sink.alerts.map((a) => `${a.ruleId} ${a.state} v${a.config.version}`)).toEqual(['people start v2', 'vip start v2', 'vip end v2', 'vip start v3']);
    expect(sink.alerts[3]).toMatchObject({ severity: 'high' });
    await pipeline.stop();
  });
});
