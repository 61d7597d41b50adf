import { z } from 'zod';
import { auditCheckpointSchema, type AuditCheckpoint } from './auditCheckpoint.js';

/**
 * `c5.stats.v1`: the periodic summary on `{prefix}/{site}/stats` for centres that read MQTT rather
 * than scrape. Built from two readings of the agent's metrics, so it carries the same figures as
 * Prometheus would compute with rate() over the interval, and nothing the metrics do not have.
 */

export const STATS_SCHEMA_NAME = 'c5.stats.v1';

/** Cumulative counters and gauges at one instant, read from the agent's metrics. */
export interface MetricsReading {
  /** epoch ms */
  readonly at: number;
  /** `c5_agent_frames_total`: one entry per (camera, outcome) */
  readonly frames: readonly { readonly camera: string; readonly outcome: string; readonly value: number }[];
  /** `c5_agent_camera_up` */
  readonly cameraUp: readonly { readonly camera: string; readonly value: number }[];
  /** `c5_agent_inference_seconds`, per model: cumulative buckets (ascending `le`, `+Inf` last) */
  readonly inference: readonly HistogramReading[];
  /** `c5_agent_alerts_total` summed over cameras and rules */
  readonly alerts: { readonly published: number; readonly failed: number };
  readonly outboxMessages: number;
  readonly outboxOldestAgeSeconds: number;
  readonly mqttConnected: boolean;
  readonly configVersion: number;
}

export interface HistogramReading {
  readonly model: string;
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly sum: number;
  readonly count: number;
}

const rate = z.number().min(0);
const ms = z.number().min(0).nullable();

export const statsMessageSchema = z
  .strictObject({
    schema: z.literal(STATS_SCHEMA_NAME).describe(`Always ${STATS_SCHEMA_NAME}: the schema of this message.`),
    siteId: z.string().describe('The reporting site.'),
    at: z.string().describe('End of the interval, ISO 8601 UTC.'),
    periodSeconds: z.number().positive().describe('Length of the interval the rates are over, in seconds.'),
    configVersion: z.number().int().min(0).describe('Version of the site config running.'),
    mqttConnected: z.boolean().describe('Whether the MQTT link was connected at the end of the interval.'),
    cameras: z
      .array(
        z
          .strictObject({
            id: z.string().describe('Camera id.'),
            up: z.boolean().describe('Whether the camera delivers frames (c5_agent_camera_up).'),
            fps: z
              .strictObject({
                processed: rate.describe('Frames per second that went through inference.'),
                dropped: rate.describe('Frames per second replaced by a newer one while waiting for inference.'),
                skipped: rate.describe('Frames per second the motion gate skipped.'),
                failed: rate.describe('Frames per second whose inference failed.'),
              })
              .describe('Frames per second over the interval, by outcome.'),
          })
          .describe('One camera.'),
      )
      .describe('Every camera of the site.'),
    inference: z
      .array(
        z
          .strictObject({
            model: z.string().describe('Model name.'),
            calls: z.number().int().min(0).describe('Inference calls in the interval.'),
            meanMs: ms.describe('Mean inference time in ms; null when the model ran no inference in the interval.'),
            p95Ms: ms.describe(
              '95th percentile inference time in ms, interpolated within histogram buckets as histogram_quantile() does; null without inference.',
            ),
          })
          .describe('One model.'),
      )
      .describe('Per loaded model.'),
    alerts: z
      .strictObject({
        published: z.number().int().min(0).describe('Alerts acknowledged by the broker in the interval.'),
        failed: z.number().int().min(0).describe('Alerts that failed to publish in the interval.'),
      })
      .describe('Alerts in the interval.'),
    outbox: z
      .strictObject({
        depth: z.number().min(0).describe('Alerts waiting in the outbox.'),
        oldestAgeSeconds: z.number().min(0).describe('Age of the oldest waiting alert, seconds.'),
      })
      .describe('The outbox at the end of the interval.'),
    auditCheckpoint: auditCheckpointSchema
      .optional()
      .describe('The newest signed head of the audit log (also retained on {prefix}/{site}/audit/checkpoint); absent before the first.'),
  })
  .describe('Periodic summary of one site: rates over the interval from the same metrics Prometheus scrapes.');

export type StatsMessage = z.output<typeof statsMessageSchema>;

/**
 * The q-quantile of the observations in cumulative buckets, linearly interpolated inside the
 * bucket that holds it (the lowest bucket starts at 0). Same estimate as PromQL's
 * histogram_quantile(); null without observations.
 */
export function quantileFromBuckets(q: number, buckets: readonly { le: number; count: number }[]): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      // Past the highest finite bound there is nothing to interpolate towards.
      if (!Number.isFinite(bucket.le)) return lower;
      const inBucket = bucket.count - below;
      return inBucket <= 0 ? bucket.le : lower + (bucket.le - lower) * ((rank - below) / inBucket);
    }
    lower = bucket.le;
    below = bucket.count;
  }
  return lower;
}

/** Never negative: a series that restarted (a camera removed and added back) counts from zero. */
function delta(current: number, previous: number | undefined): number {
  const d = current - (previous ?? 0);
  return d >= 0 ? d : current;
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

const FPS_OUTCOMES = { processed: 'processed', dropped: 'dropped', skipped: 'skipped_motion', failed: 'failed' } as const;

/** The summary of what happened between two readings; pure, so a test drives it with numbers. */
export function buildStatsMessage(previous: MetricsReading, current: MetricsReading, siteId: string, auditCheckpoint?: AuditCheckpoint): StatsMessage {
  const periodSeconds = Math.max(0.001, (current.at - previous.at) / 1000);
  const frameKey = (camera: string, outcome: string): string => `${camera}\u0000${outcome}`;
  const previousFrames = new Map(previous.frames.map((f) => [frameKey(f.camera, f.outcome), f.value]));
  const currentFrames = new Map(current.frames.map((f) => [frameKey(f.camera, f.outcome), f.value]));
  const up = new Map(current.cameraUp.map((c) => [c.camera, c.value === 1]));
  const cameraIds = [...new Set([...current.cameraUp.map((c) => c.camera), ...current.frames.map((f) => f.camera)])].sort();

  const cameras = cameraIds.map((id) => {
    const fps = (outcome: string): number => {
      const key = frameKey(id, outcome);
      return round(delta(currentFrames.get(key) ?? 0, previousFrames.get(key)) / periodSeconds);
    };
    return {
      id,
      up: up.get(id) ?? false,
      fps: {
        processed: fps(FPS_OUTCOMES.processed),
        dropped: fps(FPS_OUTCOMES.dropped),
        skipped: fps(FPS_OUTCOMES.skipped),
        failed: fps(FPS_OUTCOMES.failed),
      },
    };
  });

  const previousInference = new Map(previous.inference.map((h) => [h.model, h]));
  const inference = [...current.inference]
    .sort((a, b) => a.model.localeCompare(b.model))
    .map((now) => {
      // A histogram that went backwards was recreated: everything in it is new.
      const found = previousInference.get(now.model);
      const before = found && found.count <= now.count ? found : undefined;
      const beforeBuckets = new Map(before?.buckets.map((b) => [b.le, b.count]));
      const calls = now.count - (before?.count ?? 0);
      const sum = Math.max(0, now.sum - (before?.sum ?? 0));
      const buckets = now.buckets.map((b) => ({ le: b.le, count: delta(b.count, beforeBuckets.get(b.le)) }));
      const p95 = quantileFromBuckets(0.95, buckets);
      return {
        model: now.model,
        calls,
        meanMs: calls > 0 ? round((sum / calls) * 1000) : null,
        p95Ms: p95 === null ? null : round(p95 * 1000),
      };
    });

  return {
    schema: STATS_SCHEMA_NAME,
    siteId,
    at: new Date(current.at).toISOString(),
    periodSeconds: round(periodSeconds, 3),
    configVersion: current.configVersion,
    mqttConnected: current.mqttConnected,
    cameras,
    inference,
    alerts: {
      published: delta(current.alerts.published, previous.alerts.published),
      failed: delta(current.alerts.failed, previous.alerts.failed),
    },
    outbox: { depth: current.outboxMessages, oldestAgeSeconds: round(current.outboxOldestAgeSeconds, 3) },
    ...(auditCheckpoint ? { auditCheckpoint } : {}),
  };
}
