import type { MetricValue, MetricValueWithName } from 'prom-client';
import type { AuditCheckpoint } from '../../pipelines/auditCheckpoint.js';
import { toError } from '../../pipelines/errors.js';
import { buildStatsMessage, STATS_SCHEMA_NAME, type HistogramReading, type MetricsReading } from '../../pipelines/statsMessage.js';
import type { Clock, Timer } from '../clock.js';
import type { MessagePublisher, PublishOptions } from '../MessagePublisher.js';
import type { Logger } from './logger.js';
import type { AgentMetrics } from './metrics.js';

export type StatsMetrics = Pick<
  AgentMetrics,
  'framesTotal' | 'cameraUp' | 'inferenceSeconds' | 'alertsTotal' | 'outboxMessages' | 'outboxOldestAgeSeconds' | 'mqttConnected' | 'configVersion'
>;

export interface StatsPublisherDeps {
  readonly metrics: StatsMetrics;
  /** the agent's MQTT link; QoS 0 is refused (and counted) while disconnected */
  readonly link: MessagePublisher;
  /** `{prefix}/{site}/stats` */
  readonly topic: string;
  readonly siteId: string;
  readonly intervalMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** the newest signed audit checkpoint, carried in every message (AuditCheckpoints.latest) */
  readonly auditCheckpoint?: () => AuditCheckpoint | undefined;
}

const STATS_OPTIONS: PublishOptions = {
  // Stale figures are worthless: QoS 0, not retained, not held while the broker is away.
  qos: 0,
  retain: false,
  properties: { contentType: 'application/json', payloadFormatIndicator: true, userProperties: { schema: STATS_SCHEMA_NAME } },
};

/**
 * Publishes `c5.stats.v1` every interval: the figures between two readings of the metrics. A
 * summary that cannot be sent (broker away) is not retried; mqtt_publish_failures_total counts it.
 */
export class StatsPublisher {
  private readonly deps: StatsPublisherDeps;
  private readonly log: Logger;
  private timer: Timer | null = null;
  private previous: MetricsReading | null = null;
  private busy: Promise<void> | null = null;
  private stopped = false;

  constructor(deps: StatsPublisherDeps) {
    this.deps = deps;
    this.log = deps.logger.child({ component: 'stats' });
  }

  /** Takes the first reading now; the first message covers the first interval. */
  async start(): Promise<void> {
    if (this.timer || this.stopped) return;
    this.timer = this.deps.clock.setInterval(() => void this.tick(), this.deps.intervalMs);
    this.previous = await readMetrics(this.deps.metrics, this.deps.clock.now());
  }

  /** Idempotent; a message being built when it is called is still sent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    await this.busy;
  }

  /** One summary; overlapping ticks (a slow registry read) are skipped rather than queued. */
  tick(): Promise<void> {
    if (this.busy) return this.busy;
    if (this.stopped || !this.previous) return Promise.resolve();
    this.busy = this.publishOnce().finally(() => {
      this.busy = null;
    });
    return this.busy;
  }

  private async publishOnce(): Promise<void> {
    const previous = this.previous;
    if (!previous) return;
    const current = await readMetrics(this.deps.metrics, this.deps.clock.now());
    this.previous = current;
    const message = buildStatsMessage(previous, current, this.deps.siteId, this.deps.auditCheckpoint?.());
    try {
      await this.deps.link.publish(this.deps.topic, JSON.stringify(message), STATS_OPTIONS);
    } catch (error) {
      // Debug only: during an outage this would repeat every interval, and the metric counts it.
      this.log.debug({ err: toError(error), topic: this.deps.topic }, 'stats not published');
    }
  }
}

type Values = MetricValue<string>[];

const label = (value: MetricValue<string>, name: string): string => String(value.labels[name] ?? '');

function histograms(values: readonly MetricValueWithName<string>[]): HistogramReading[] {
  const byModel = new Map<string, { buckets: { le: number; count: number }[]; sum: number; count: number }>();
  const entry = (model: string) => {
    let found = byModel.get(model);
    if (!found) byModel.set(model, (found = { buckets: [], sum: 0, count: 0 }));
    return found;
  };
  for (const value of values) {
    const model = label(value, 'model');
    const name = value.metricName ?? '';
    if (name.endsWith('_bucket')) {
      const le = label(value, 'le');
      entry(model).buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: value.value });
    } else if (name.endsWith('_sum')) entry(model).sum = value.value;
    else if (name.endsWith('_count')) entry(model).count = value.value;
  }
  return [...byModel].map(([model, h]) => ({ model, ...h, buckets: h.buckets.sort((a, b) => a.le - b.le) }));
}

/** One reading of everything the summary needs. */
export async function readMetrics(metrics: StatsMetrics, at: number): Promise<MetricsReading> {
  const [frames, cameraUp, inference, alerts, outboxMessages, outboxAge, mqtt, configVersion] = await Promise.all([
    metrics.framesTotal.get(),
    metrics.cameraUp.get(),
    metrics.inferenceSeconds.get(),
    metrics.alertsTotal.get(),
    metrics.outboxMessages.get(),
    metrics.outboxOldestAgeSeconds.get(),
    metrics.mqttConnected.get(),
    metrics.configVersion.get(),
  ]);
  const alertTotal = (outcome: string): number => alerts.values.filter((v) => label(v, 'outcome') === outcome).reduce((sum, v) => sum + v.value, 0);
  const single = (values: Values): number => values[0]?.value ?? 0;
  return {
    at,
    frames: frames.values.map((v) => ({ camera: label(v, 'camera'), outcome: label(v, 'outcome'), value: v.value })),
    cameraUp: cameraUp.values.map((v) => ({ camera: label(v, 'camera'), value: v.value })),
    inference: histograms(inference.values),
    alerts: { published: alertTotal('published'), failed: alertTotal('failed') },
    outboxMessages: single(outboxMessages.values),
    outboxOldestAgeSeconds: single(outboxAge.values),
    mqttConnected: single(mqtt.values) === 1,
    configVersion: single(configVersion.values),
  };
}
