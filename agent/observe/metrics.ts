import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AUDIT_FAILURE_REASONS } from '../audit/AuditLog.js';

/**
 * Every metric the agent exports (README, "Metrics"). Base units (seconds), `_total` on
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

/** Results of a config push (README, "Fleet guide"); each exists from start-up at 0. */
export const CONFIG_APPLY_RESULTS = ['applied', 'rejected', 'rolled_back'] as const;
export type ConfigApplyResult = (typeof CONFIG_APPLY_RESULTS)[number];

/**
 * 0.25 ms .. 2 s: one pipeline stage on one frame. Pre- and postprocessing take well under a
 * millisecond on x86 (README, "Measured figures"), so the low end is finer than inference's.
 */
export const STAGE_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2];
/**
 * 1 ms .. 2 s: one model call. Dense between 5 and 100 ms, where YOLOX-Nano lands on x86 and ARM
 * boards, so p95 moves visibly when a box starts to struggle.
 */
export const INFERENCE_BUCKETS = [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2];
/** 5 ms .. 10 s: frame capture to broker PUBACK, including broker round trips and outages shorter than 10 s. */
export const FRAME_TO_ALERT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A model in use, as `c5_agent_info` names it. */
export interface LoadedModel {
  readonly name: string;
  readonly sha256: string;
}

/**
 * `yolox-nano@e8af…,other@12ab…`: sorted, so the label (and the series) only changes when the
 * set of models or a digest does. One series per agent whatever the number of models.
 */
export function modelsLabel(models: readonly LoadedModel[]): string {
  return [...new Set(models.map((model) => `${model.name}@${model.sha256}`))].sort().join(',');
}

export interface AgentMetrics {
  readonly registry: Registry;
  readonly info: Gauge<'version' | 'site' | 'config_version' | 'models'>;
  readonly cameraUp: Gauge<'camera'>;
  readonly framesTotal: Counter<'camera' | 'outcome'>;
  readonly cameraRestartsTotal: Counter<'camera' | 'reason'>;
  readonly hwDecodeFallbacksTotal: Counter<'camera' | 'preset'>;
  readonly stageSeconds: Histogram<'stage'>;
  readonly frameToAlertSeconds: Histogram;
  readonly inferenceSeconds: Histogram<'model'>;
  readonly inferenceWorkerRestartsTotal: Counter<'model'>;
  readonly maskedDetectionsTotal: Counter<'camera'>;
  readonly alertsTotal: Counter<'camera' | 'rule' | 'severity' | 'outcome'>;
  readonly mqttConnected: Gauge;
  readonly mqttPublishFailuresTotal: Counter<'reason'>;
  readonly configVersion: Gauge;
  readonly configApplyTotal: Counter<'result'>;
  /** config pushes refused before a signature held; never in configApplyTotal */
  readonly configPushUnverifiedTotal: Counter<'reason'>;
  readonly outboxMessages: Gauge;
  readonly outboxOldestAgeSeconds: Gauge;
  readonly outboxDroppedTotal: Counter<'reason'>;
  readonly auditWriteFailuresTotal: Counter<'reason'>;
  /** agent/capacity/CapacityMonitor.ts: CPU the config asks for / cores */
  readonly capacityLoadRatio: Gauge;
  readonly capacityCameras: Gauge;
  /** moves `info` and `config_version` to the config now applied */
  setConfigVersion(version: number): void;
  /** moves `info` to the models now loaded (name and sha256 of each) */
  setModels(models: readonly LoadedModel[]): void;
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
    help: 'Agent build, site, config version and loaded models (name@sha256, comma-separated); the value is always 1',
    labelNames: ['version', 'site', 'config_version', 'models'] as const,
    registers,
  });
  const cameraUp = new Gauge({
    name: name('camera_up'),
    help: 'Whether the camera is delivering frames (1) or not (0); unit: boolean',
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
  const hwDecodeFallbacksTotal = new Counter({
    name: name('hw_decode_fallbacks_total'),
    help: 'Cameras switched to software decoding because their hardware-decoding preset failed to start; unit: fallbacks',
    labelNames: ['camera', 'preset'] as const,
    registers,
  });
  const stageSeconds = new Histogram({
    name: name('stage_seconds'),
    help: 'Time spent in one pipeline stage (decode, preprocess, inference, postprocess, policy, publish) for one frame; unit: seconds',
    labelNames: ['stage'] as const,
    buckets: STAGE_BUCKETS,
    registers,
  });
  const frameToAlertSeconds = new Histogram({
    name: name('frame_to_alert_seconds'),
    help: 'Time from frame capture to broker acknowledgement (PUBACK) of the alert it produced; unit: seconds',
    buckets: FRAME_TO_ALERT_BUCKETS,
    registers,
  });
  const inferenceSeconds = new Histogram({
    name: name('inference_seconds'),
    help: 'Time for one model inference call, per model; unit: seconds',
    labelNames: ['model'] as const,
    buckets: INFERENCE_BUCKETS,
    registers,
  });
  const inferenceWorkerRestartsTotal = new Counter({
    name: name('inference_worker_restarts_total'),
    help: 'Inference worker threads (inference.thread: worker) started again after the previous one died, per model; unit: restarts',
    labelNames: ['model'] as const,
    registers,
  });
  const maskedDetectionsTotal = new Counter({
    name: name('masked_detections_total'),
    help: 'Detections dropped because they are anchored inside a privacy mask, per camera; unit: detections',
    labelNames: ['camera'] as const,
    registers,
  });
  const alertsTotal = new Counter({
    name: name('alerts_total'),
    // severity is the rule's, so it adds no series: one rule, one severity
    help: 'Alerts per camera and rule, with the rule severity (info, low, medium, high, critical), by outcome (published, failed); unit: alerts',
    labelNames: ['camera', 'rule', 'severity', 'outcome'] as const,
    registers,
  });
  const mqttConnected = new Gauge({
    name: name('mqtt_connected'),
    help: 'Whether the MQTT link to the broker is up (1) or not (0); unit: boolean',
    registers,
  });
  const mqttPublishFailuresTotal = new Counter({
    name: name('mqtt_publish_failures_total'),
    help: 'MQTT publishes that failed or were refused, by reason; unit: messages',
    labelNames: ['reason'] as const,
    registers,
  });
  // 0 until the first estimate, one interval after the first frames (CapacityMonitor).
  const capacityLoadRatio = new Gauge({
    name: name('capacity_load_ratio'),
    help: 'CPU the running config asks for (decoders at their measured cost, analyticsFps x the measured cost of a frame) over the cores; above 1 the box cannot keep up; unit: ratio',
    registers,
  });
  const capacityCameras = new Gauge({
    name: name('capacity_cameras'),
    help: "Cameras like the config's average one this box holds, from the same measurements; unit: cameras",
    registers,
  });
  const configVersion = new Gauge({
    name: name('config_version'),
    help: 'Version number of the site config in effect (0 before one is applied); unit: version number',
    registers,
  });

  const configApplyTotal = new Counter({
    name: name('config_apply_total'),
    help: 'Config pushes handled, by result (applied, rejected, rolled_back); unit: pushes',
    labelNames: ['result'] as const,
    registers,
  });
  const configPushUnverifiedTotal = new Counter({
    name: name('config_push_unverified_total'),
    help: 'Config pushes refused before a signature held (too_large, malformed_envelope, unknown_key, key_expired, bad_signature, trusted_keys_*), by reason; unit: pushes',
    labelNames: ['reason'] as const,
    registers,
  });
  const outboxMessages = new Gauge({
    name: name('outbox_messages'),
    help: 'Alerts waiting in the outbox for a broker acknowledgement; unit: messages',
    registers,
  });
  const outboxOldestAgeSeconds = new Gauge({
    name: name('outbox_oldest_age_seconds'),
    help: 'Age of the oldest alert waiting in the outbox (0 when empty); unit: seconds',
    registers,
  });
  const outboxDroppedTotal = new Counter({
    name: name('outbox_dropped_total'),
    help: 'Alerts dropped from the outbox before delivery, by reason; unit: messages',
    labelNames: ['reason'] as const,
    registers,
  });
  const auditWriteFailuresTotal = new Counter({
    name: name('audit_write_failures_total'),
    help: 'Audit log failures, by reason (write: a record lost; fsync: a batch not made durable; torn_tail: a partial line found at open); unit: failures',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of AUDIT_FAILURE_REASONS) auditWriteFailuresTotal.inc({ reason }, 0);

  // Series that exist from start-up let dashboards use rate() without gaps before the first event.
  for (const stage of STAGES) stageSeconds.zero({ stage });
  for (const result of CONFIG_APPLY_RESULTS) configApplyTotal.inc({ result }, 0);
  mqttConnected.set(0);

  let currentConfigVersion = options.configVersion ?? 0;
  let currentModels = '';
  // One series at a time: the old label set goes, so joins on `info` never see two per agent.
  const publishInfo = (): void => {
    info.reset();
    info.set({ version: options.version, site: options.siteId, config_version: String(currentConfigVersion), models: currentModels }, 1);
  };
  const setConfigVersion = (version: number): void => {
    currentConfigVersion = version;
    publishInfo();
    configVersion.set(version);
  };
  const setModels = (models: readonly LoadedModel[]): void => {
    currentModels = modelsLabel(models);
    publishInfo();
  };
  setConfigVersion(currentConfigVersion);

  return {
    registry,
    info,
    cameraUp,
    framesTotal,
    cameraRestartsTotal,
    hwDecodeFallbacksTotal,
    stageSeconds,
    frameToAlertSeconds,
    inferenceSeconds,
    inferenceWorkerRestartsTotal,
    maskedDetectionsTotal,
    alertsTotal,
    mqttConnected,
    mqttPublishFailuresTotal,
    configVersion,
    configApplyTotal,
    configPushUnverifiedTotal,
    outboxMessages,
    outboxOldestAgeSeconds,
    outboxDroppedTotal,
    auditWriteFailuresTotal,
    capacityLoadRatio,
    capacityCameras,
    setConfigVersion,
    setModels,
  };
}
