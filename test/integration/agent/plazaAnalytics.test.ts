import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraPipeline, type PipelineMetrics } from '../../../agent/CameraPipeline.js';
import { systemClock } from '../../../agent/clock.js';
import { loadDetector } from '../../../agent/inference/loadDetector.js';
import type { OnnxDetector } from '../../../agent/inference/OnnxDetector.js';
import { FfmpegFrameSource } from '../../../agent/ingest/FfmpegFrameSource.js';
import { resolveFfmpegPath } from '../../../agent/ingest/resolveFfmpegPath.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { alertSchema, type Alert } from '../../../pipelines/alerts.js';
import type { CameraConfig } from '../../../pipelines/config/siteConfig.js';
import { RulePolicy } from '../../../pipelines/policy.js';
import { anchorOf, pointInPolygon } from '../../../pipelines/geometry.js';
import type { FrameSource, FrameSourceListener, Tracker } from '../../../pipelines/stages.js';
import { ByteTracker } from '../../../pipelines/track/ByteTracker.js';
import { trackerOptionsFor } from '../../../pipelines/track/trackerOptions.js';
import type { Frame, Point, Track } from '../../../pipelines/types.js';
import { MemorySink, RecordingMetrics } from '../../helpers/fakeStages.js';
import { clipPath, sharedModelsDir } from '../../helpers/paths.js';
import { policyCamera } from '../../helpers/policyScene.js';
import { waitFor } from '../../helpers/recordingListener.js';

/**
 * The plaza clip through the real ffmpeg source, YOLOX-Nano and camera pipeline, with rules placed
 * across the plaza. The clip is read at full speed (`realtime: false`); a relay hands the pipeline
 * one frame at a time and stamps each with its time in the clip, so no frame is dropped however
 * slow the machine, and dwell and crowd durations are clip seconds, not processing seconds.
 */

const FPS = 5;
const START = Date.UTC(2026, 0, 14, 18, 0, 0);
const centre: Point[] = [
  [0.25, 0.35],
  [0.75, 0.35],
  [0.75, 0.95],
  [0.25, 0.95],
];
const walkway: Point[] = [
  [0, 0.25],
  [1, 0.25],
  [1, 0.85],
  [0, 0.85],
];
// someone stands in the top-left corner for much of the clip
const corner: Point[] = [
  [0, 0],
  [0.12, 0],
  [0.12, 0.3],
  [0, 0.3],
];
const CROWD = 7;

const camera: CameraConfig = policyCamera({
  source: { url: 'clip', realtime: false },
  analyticsFps: FPS,
  zones: [
    { id: 'centre', polygon: centre },
    { id: 'walkway', polygon: walkway },
  ],
  lines: [{ id: 'mid', from: [0.5, 0.25], to: [0.5, 0.85] }],
  privacyMasks: [{ id: 'corner', polygon: corner }],
  rules: [
    { id: 'centre-people', type: 'zone_intrusion', zone: 'centre', labels: ['person'] },
    { id: 'mid-crossing', type: 'line_crossing', line: 'mid', labels: ['person'], updateIntervalSeconds: 5 },
    { id: 'crowd', type: 'crowding', zone: 'walkway', labels: ['person'], minCount: CROWD, minDurationSeconds: 3, updateIntervalSeconds: 5 },
    { id: 'anyone', type: 'object_present', labels: ['person'] },
  ],
});

/** Queues the real source's frames and releases the next only when the pipeline has finished one. */
class LosslessRelay implements FrameSource {
  readonly cameraId: string;
  delivered = 0;
  private readonly inner: FrameSource;
  private readonly queue: Frame[] = [];
  private listener: FrameSourceListener | undefined;
  private busy = false;
  private ended = false;

  constructor(inner: FrameSource) {
    this.inner = inner;
    this.cameraId = inner.cameraId;
  }

  get finished(): boolean {
    return this.ended && !this.busy && this.queue.length === 0;
  }

  start(listener: FrameSourceListener): void {
    this.listener = listener;
    this.inner.start({
      onFrame: (frame) => {
        if (this.ended) return;
        this.queue.push({ ...frame, captureTime: START + Math.round(((frame.seq - 1) * 1000) / FPS) });
        this.pump();
      },
      onStatus: (status) => {
        // end of the clip: no restart, the clip is read once
        if (status.state === 'offline' && this.delivered + this.queue.length > 0 && !this.ended) {
          this.ended = true;
          void this.inner.stop();
        }
        listener.onStatus(status);
      },
      onRestart: (info) => listener.onRestart(info),
    });
  }

  frameDone(): void {
    this.busy = false;
    this.pump();
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  private pump(): void {
    if (this.busy || this.queue.length === 0 || !this.listener) return;
    this.busy = true;
    this.delivered += 1;
    this.listener.onFrame(this.queue.shift()!);
  }
}

/** The real tracker, remembering what it reported for the checks below. */
class RecordingTracker implements Tracker {
  readonly frames: Track[][] = [];
  private readonly inner: Tracker;
  constructor(inner: Tracker) {
    this.inner = inner;
  }
  update(...args: Parameters<Tracker['update']>): ReturnType<Tracker['update']> {
    const result = this.inner.update(...args);
    this.frames.push(result.active);
    return result;
  }
}

const logger = createRootLogger({ level: 'silent' });
let detector: OnnxDetector;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'c5-plaza-'));
  detector = await loadDetector({
    name: 'yolox-nano',
    cacheDir: join(scratch, 'cache'),
    mirrorDir: sharedModelsDir,
    sessionOptions: { intraOpNumThreads: 2 },
    logger,
  });
});

afterAll(async () => {
  await detector?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('the plaza clip through the analytics policy', () => {
  const sink = new MemorySink();
  const tracker = new RecordingTracker(new ByteTracker({ options: trackerOptionsFor(camera) }));
  let relay: LosslessRelay;
  let wallSeconds = 0;
  const alerts = (ruleId: string, state?: Alert['state']): Alert[] => sink.alerts.filter((a) => a.ruleId === ruleId && (!state || a.state === state));

  beforeAll(async () => {
    const source = new FfmpegFrameSource({
      camera,
      sourceUrl: clipPath,
      ffmpegPath: resolveFfmpegPath({ env: process.env, logger }),
      inputWidth: detector.model.inputWidth,
      inputHeight: detector.model.inputHeight,
      clock: systemClock,
      logger,
    });
    relay = new LosslessRelay(source);
    const recording = new RecordingMetrics();
    const metrics: PipelineMetrics = {
      ...recording,
      framesTotal: {
        inc: (labels) => {
          recording.framesTotal.inc(labels);
          if (labels.outcome === 'processed' || labels.outcome === 'failed') relay.frameDone();
        },
      },
    };
    let seq = 0;
    const pipeline = new CameraPipeline({
      camera,
      source: relay,
      detector,
      tracker,
      policy: new RulePolicy(camera),
      sink,
      alertContext: {
        siteId: 'site-it',
        cameraId: camera.id,
        model: { name: detector.model.name, sha256: detector.model.sha256 },
        config: { version: 1, sha256: 'b'.repeat(64) },
      },
      nextAlertSeq: () => ++seq,
      newAlertId: () => uuidv7(),
      onStatus: () => undefined,
      clock: systemClock,
      logger,
      metrics,
    });
    const started = performance.now();
    pipeline.start();
    await waitFor('the whole clip to be processed', () => relay.finished, 150_000, 50);
    await pipeline.stop();
    wallSeconds = (performance.now() - started) / 1000;
    expect(recording.get('frames', { camera: camera.id, outcome: 'dropped' })).toBe(0);
  }, 180_000);

  it('reads every frame of the clip and sends only schema-valid alerts', () => {
    // 79.5 s at 5 fps
    expect(relay.delivered).toBeGreaterThanOrEqual(396);
    expect(relay.delivered).toBeLessThanOrEqual(400);
    expect(tracker.frames).toHaveLength(relay.delivered);
    for (const alert of sink.alerts) alertSchema.parse(alert);
  });

  it('starts about one zone event per person, not one per frame', () => {
    const starts = alerts('centre-people', 'start');
    const people = new Set(starts.map((a) => a.object!.trackId));
    const personFramesInZone = tracker.frames.flat().filter((t) => t.label === 'person' && t.misses === 0 && pointInPolygon(anchorOf(t.box), centre)).length;
    const figures = {
      frames: relay.delivered,
      wallSeconds: Number(wallSeconds.toFixed(1)),
      personFramesInZone,
      zoneStarts: starts.length,
      zoneEnds: alerts('centre-people', 'end').length,
      distinctTracksWithZoneStart: people.size,
      personTracks: new Set(
        tracker.frames
          .flat()
          .filter((t) => t.label === 'person')
          .map((t) => t.id),
      ).size,
    };
    console.log('plaza figures', JSON.stringify(figures));
    expect(people.size).toBeGreaterThanOrEqual(15);
    // re-entries across the zone's edge (no cooldown here) and the odd id switch add some, but
    // nowhere near a start per frame; with re-linking there are fewer ids, so re-entries weigh more
    // (measured: 31 starts for 20 tracks, against 1154 person-frames in the zone)
    expect(starts.length).toBeLessThanOrEqual(people.size * 2);
    expect(starts.length * 10).toBeLessThan(personFramesInZone);
    // every event that started ends, by leaving the zone or being lost (or is still open at the clip's end)
    expect(figures.zoneEnds).toBeLessThanOrEqual(starts.length);
    expect(figures.zoneEnds).toBeGreaterThanOrEqual(starts.length - 10);
  });

  it('reports a crowd on the walkway as one event with its count, not one alert per person', () => {
    const crowd = alerts('crowd');
    const crowdedFrames = tracker.frames.filter(
      (tracks) => tracks.filter((t) => t.label === 'person' && pointInPolygon(anchorOf(t.box), walkway)).length >= CROWD,
    ).length;
    console.log('crowd alerts', JSON.stringify(crowd.map((a) => [a.state, a.count, a.frameTime.slice(11, 21)])), 'crowded frames', crowdedFrames);
    expect(alerts('crowd', 'start').length).toBeGreaterThanOrEqual(1);
    for (const alert of crowd) {
      expect(alert.object).toBeUndefined();
      expect(alert.zone).toEqual({ id: 'walkway' });
      expect(alert.count).toBeGreaterThanOrEqual(0);
    }
    for (const start of alerts('crowd', 'start')) expect(start.count).toBeGreaterThanOrEqual(CROWD);
    expect(crowd.length * 10).toBeLessThan(crowdedFrames);
  });

  it('counts people crossing the line across the plaza, in both directions, once each', () => {
    const starts = alerts('mid-crossing', 'start');
    const updates = alerts('mid-crossing', 'update');
    const directions = [...starts, ...updates].map((a) => a.line!.direction);
    console.log(
      'line crossings',
      JSON.stringify({
        starts: starts.length,
        updates: updates.length,
        in: directions.filter((d) => d === 'in').length,
        out: directions.filter((d) => d === 'out').length,
      }),
    );
    expect(starts.length).toBeGreaterThanOrEqual(5);
    expect(new Set(starts.map((a) => a.object!.trackId)).size).toBe(starts.length);
    expect(new Set(directions)).toEqual(new Set(['in', 'out']));
    for (const alert of [...starts, ...updates]) expect(alert.line!.id).toBe('mid');
  });

  it('never tracks or alerts on anything anchored in the privacy mask', () => {
    const anchors = tracker.frames.flat().map((t) => anchorOf(t.box));
    expect(anchors.length).toBeGreaterThan(1000);
    expect(anchors.filter((a) => pointInPolygon(a, corner))).toEqual([]);
    const alerted = sink.alerts.filter((a) => a.object && pointInPolygon(anchorOf(a.object.bbox), corner));
    expect(alerted).toEqual([]);
  });
});
