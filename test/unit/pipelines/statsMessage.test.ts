import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildStatsMessage, quantileFromBuckets, statsMessageSchema, type MetricsReading } from '../../../pipelines/statsMessage.js';

const INF = Infinity;

function reading(at: number, overrides: Partial<MetricsReading> = {}): MetricsReading {
  return {
    at,
    frames: [],
    cameraUp: [],
    inference: [],
    alerts: { published: 0, failed: 0 },
    outboxMessages: 0,
    outboxOldestAgeSeconds: 0,
    mqttConnected: true,
    configVersion: 3,
    ...overrides,
  };
}

describe('quantileFromBuckets', () => {
  it('interpolates inside the bucket that holds the rank, as histogram_quantile() does', () => {
    // 10 observations: 4 under 10 ms, 6 between 10 and 20 ms
    const buckets = [
      { le: 0.01, count: 4 },
      { le: 0.02, count: 10 },
      { le: INF, count: 10 },
    ];
    expect(quantileFromBuckets(0.5, buckets)).toBeCloseTo(0.01 + 0.01 * (1 / 6), 10);
    expect(quantileFromBuckets(0.2, buckets)).toBeCloseTo(0.005, 10);
    expect(quantileFromBuckets(0.95, buckets)).toBeCloseTo(0.01 + 0.01 * (5.5 / 6), 10);
  });

  it('answers the highest finite bound for ranks in +Inf, and null without observations', () => {
    expect(
      quantileFromBuckets(0.95, [
        { le: 0.5, count: 1 },
        { le: INF, count: 10 },
      ]),
    ).toBe(0.5);
    expect(
      quantileFromBuckets(0.95, [
        { le: 0.5, count: 0 },
        { le: INF, count: 0 },
      ]),
    ).toBeNull();
    expect(quantileFromBuckets(0.95, [])).toBeNull();
  });

  it('stays within the bucket bounds for any histogram', () => {
    const les = [0.001, 0.005, 0.01, 0.05, 0.1, 1, 2];
    fc.assert(
      fc.property(
        fc.array(fc.nat(50), { minLength: les.length + 1, maxLength: les.length + 1 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (perBucket, q) => {
          let cumulative = 0;
          const buckets = [...les, INF].map((le, i) => ({ le, count: (cumulative += perBucket[i]!) }));
          const value = quantileFromBuckets(q, buckets);
          if (cumulative === 0) return value === null;
          return value !== null && value >= 0 && value <= 2;
        },
      ),
    );
  });
});

describe('buildStatsMessage', () => {
  const frames = (processed: number, dropped: number, skipped: number) => [
    { camera: 'gate', outcome: 'processed', value: processed },
    { camera: 'gate', outcome: 'dropped', value: dropped },
    { camera: 'gate', outcome: 'skipped_motion', value: skipped },
  ];
  const histogram = (count: number, sum: number, under10ms: number) => ({
    model: 'yolox-nano',
    buckets: [
      { le: 0.005, count: 0 },
      { le: 0.01, count: under10ms },
      { le: 0.02, count: count },
      { le: INF, count: count },
    ],
    sum,
    count,
  });

  it('turns two readings into per-camera fps, inference mean/p95 and alert counts for the interval', () => {
    const before = reading(1_000_000, {
      frames: frames(100, 2, 10),
      cameraUp: [{ camera: 'gate', value: 1 }],
      inference: [histogram(100, 1.2, 60)],
      alerts: { published: 5, failed: 1 },
    });
    const after = reading(1_060_000, {
      frames: [...frames(400, 8, 70), { camera: 'yard', outcome: 'processed', value: 30 }],
      cameraUp: [
        { camera: 'gate', value: 1 },
        { camera: 'yard', value: 0 },
      ],
      inference: [histogram(400, 4.2, 210)],
      alerts: { published: 17, failed: 1 },
      outboxMessages: 4,
      outboxOldestAgeSeconds: 12.5,
      mqttConnected: false,
    });
    const message = buildStatsMessage(before, after, 'site-a');
    expect(statsMessageSchema.parse(message)).toEqual(message);
    expect(message).toEqual({
      schema: 'c5.stats.v1',
      siteId: 'site-a',
      at: new Date(1_060_000).toISOString(),
      periodSeconds: 60,
      configVersion: 3,
      mqttConnected: false,
      cameras: [
        { id: 'gate', up: true, fps: { processed: 5, dropped: 0.1, skipped: 1, failed: 0 } },
        { id: 'yard', up: false, fps: { processed: 0.5, dropped: 0, skipped: 0, failed: 0 } },
      ],
      // 300 calls, 3 s in all: mean 10 ms; 150 under 10 ms, 150 in 10..20 ms, so p95 = 10 + 10 * (285 - 150) / 150
      inference: [{ model: 'yolox-nano', calls: 300, meanMs: 10, p95Ms: 19 }],
      alerts: { published: 12, failed: 0 },
      outbox: { depth: 4, oldestAgeSeconds: 12.5 },
    });
  });

  it('reports null inference figures for a model that ran nothing, and counts a recreated series from zero', () => {
    const before = reading(0, { frames: frames(500, 0, 0), inference: [histogram(400, 4, 200)] });
    const after = reading(10_000, { frames: frames(20, 0, 0), inference: [histogram(400, 4, 200)] });
    const message = buildStatsMessage(before, after, 'site-a');
    expect(message.inference).toEqual([{ model: 'yolox-nano', calls: 0, meanMs: null, p95Ms: null }]);
    expect(message.cameras[0]!.fps.processed).toBe(2);
    expect(message.cameras[0]!.up).toBe(false);
  });
});
