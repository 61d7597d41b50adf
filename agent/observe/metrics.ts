import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every metric the agent exports (DESIGN.md, "Metrics"). Base units (seconds), `_total` on
 * counters, label values from closed sets except camera, rule and model ids, which are bounded by
 * the site config.
 */

export const METRIC_PREFIX = 'c5_agent_';

export const STAGES = ['decode', 'preprocess', 'inference', 'postprocess', 'policy', 'publish'] as const;
export type Stage = (typeof STAGES)[number];

/** `failed`: the frame reached the detector but processing threw (a broken model, a bad frame). */
export const FRAME_OUTCOMES = ['processed', 'dropped', 'skipped_motion', 'failed'] as const;
export type FrameOutcome = (typeof FRAME_OUTCOMES)[number];

export const ALERT_OUTCOMES = ['published', 'failed'] as const;
export type AlertOutcome = (typeof ALERT_OUTCOMES)[number];

/** 0.5 ms .. 2 s: one pipeline stage on one frame. */
export const STAGE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2];
/** 5 ms .. 10 s: frame capture to broker PUBACK, including broker round trips and outages shorter than 10 s. */
export const FRAME_TO_ALERT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface AgentMetrics {
  readonly registry: Registry;
  readonly info: Gauge<'version' | 'site' | 'config_version'>;
  readonly cameraUp: Gauge<'camera'>;
  readonly framesTotal: Counter<'camera' | 'outcome'>;
  readonly cameraRestartsTotal: Counter<'camera' | 'reason'>;
  readonly stageSeconds: Histogram<'stage'>;
  readonly frameToAlertSeconds: Histogram;
  readonly inferenceSeconds: Histogram<'model'>;
  readonly alertsTotal: Counter<'camera' | 'rule' | 'outcome'>;
  readonly mqttConnected: Gauge;
  readonly mqttPublishFailuresTotal: Counter<'reason'>;
  readonly configVersion: Gauge;
  readonly configApplyTotal: Counter<'result'>;
  readonly outboxMessages: Gauge;
  readonly outboxOldestAgeSeconds: Gauge;
  readonly outboxDroppedTotal: Counter<'reason'>;
  /** moves `info` and `config_version` to the config now applied */
  setConfigVersion(version: number): void;
}

export interface AgentMetricsOptions {
  /** a fresh registry when omitted; pass one to share it with other exporters */
  registry?: Registry;
  siteId: string;
  version: string;
  /** known at start-up when a config is loaded; 0 until then */
  configVersion?: number;
  /** prom-client default process metrics; tests that build many registries may turn them off */
  defaultMetrics?: boolean;
}

/**
 * prom-client's `nodejs_active_{handles,requests,resources}_total` are gauges, which Prometheus
 * naming (and `promtool check metrics`) reserves for counters. The per-type gauges without the
 * suffix carry the same numbers, so the misnamed sums go.
 */
function dropMisnamedGauges(registry: Registry): void {
  for (const metric of registry.getMetricsAsArray()) {
    if (metric.name.endsWith('_total') && String(metric.type) !== 'counter') registry.removeSingleMetric(metric.name);
  }
}

export function createAgentMetrics(options: AgentMetricsOptions): AgentMetrics {
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    dropMisnamedGauges(registry);
  }
  const registers = [registry];
  const name = (suffix: string): string => `${METRIC_PREFIX}${suffix}`;

  const info = new Gauge({
    name: name('info'),
    help: 'Agent build and configuration; the value is always 1',
    labelNames: ['version', 'site', 'config_version'] as const,
    registers,
  });
  const cameraUp = new Gauge({
    name: name('camera_up'),
    help: 'Whether the camera is delivering frames (1) or not (0)',
    labelNames: ['camera'] as const,
    registers,
  });
  const framesTotal = new Counter({
    name: name('frames_total'),
    help: 'Frames seen per camera, by outcome (processed, dropped, skipped_motion, failed); unit: frames',
    labelNames: ['camera', 'outcome'] as const,
    registers,
  });
  const cameraRestartsTotal = new Counter({
    name: name('camera_restarts_total'),
    help: 'Decoder restarts per camera, by reason; unit: restarts',
    labelNames: ['camera', 'reason'] as const,
    registers,
  });
  const stageSeconds = new Histogram({
    name: name('stage_seconds'),
    help: 'Time spent in one pipeline stage for one frame, in seconds',
    labelNames: ['stage'] as const,
    buckets: STAGE_BUCKETS,
    registers,
  });
  const frameToAlertSeconds = new Histogram({
    name: name('frame_to_alert_seconds'),
    help: 'Time from frame capture to broker acknowledgement (PUBACK) of the alert it produced, in seconds',
    buckets: FRAME_TO_ALERT_BUCKETS,
    registers,
  });
  const inferenceSeconds = new Histogram({
    name: name('inference_seconds'),
    help: 'Time for one model inference call, per model, in seconds',
    labelNames: ['model'] as const,
    buckets: STAGE_BUCKETS,
    registers,
  });
  const alertsTotal = new Counter({
    name: name('alerts_total'),
    help: 'Alerts per camera and rule, by outcome (published, failed); unit: alerts',
    labelNames: ['camera', 'rule', 'outcome'] as const,
    registers,
  });
  const mqttConnected = new Gauge({
    name: name('mqtt_connected'),
    help: 'Whether the MQTT link to the broker is up (1) or not (0)',
    registers,
  });
  const mqttPublishFailuresTotal = new Counter({
    name: name('mqtt_publish_failures_total'),
    help: 'MQTT publishes that failed or were refused, by reason; unit: messages',
    labelNames: ['reason'] as const,
    registers,
  });
  const configVersion = new Gauge({
    name: name('config_version'),
    help: 'Version number of the site config in effect (0 before one is applied)',
    registers,
  });

  const configApplyTotal = new Counter({
    name: name('config_apply_total'),
    help: 'Config pushes handled, by result (applied, rejected, rolled_back); unit: pushes',
    labelNames: ['result'] as const,
    registers,
  });
  const outboxMessages = new Gauge({
    name: name('outbox_messages'),
    help: 'Alerts waiting in the outbox for a broker acknowledgement; unit: messages',
    registers,
  });
  const outboxOldestAgeSeconds = new Gauge({
    name: name('outbox_oldest_age_seconds'),
    help: 'Age of the oldest alert waiting in the outbox, in seconds (0 when empty)',
    registers,
  });
  const outboxDroppedTotal = new Counter({
    name: name('outbox_dropped_total'),
    help: 'Alerts dropped from the outbox before delivery, by reason; unit: messages',
    labelNames: ['reason'] as const,
    registers,
  });

  // Series that exist from start-up let dashboards use rate() without gaps before the first event.
  for (const stage of STAGES) stageSeconds.zero({ stage });
  mqttConnected.set(0);

  const setConfigVersion = (version: number): void => {
    info.reset();
    info.set({ version: options.version, site: options.siteId, config_version: String(version) }, 1);
    configVersion.set(version);
  };
  setConfigVersion(options.configVersion ?? 0);

  return {
    registry,
    info,
    cameraUp,
    framesTotal,
    cameraRestartsTotal,
    stageSeconds,
    frameToAlertSeconds,
    inferenceSeconds,
    alertsTotal,
    mqttConnected,
    mqttPublishFailuresTotal,
    configVersion,
    configApplyTotal,
    outboxMessages,
    outboxOldestAgeSeconds,
    outboxDroppedTotal,
    setConfigVersion,
  };
}
