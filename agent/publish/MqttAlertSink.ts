import { ALERT_SCHEMA_NAME, alertSchema, type Alert } from '../../pipelines/alerts.js';
import { PublishError } from '../../pipelines/errors.js';
import type { AlertSink } from '../../pipelines/stages.js';
import type { Clock } from '../clock.js';
import type { AgentMetrics } from '../observe/metrics.js';
import type { MqttLink, PublishProperties } from './MqttLink.js';
import { cameraAlertsTopic } from './topics.js';

export interface MqttAlertSinkDeps {
  readonly link: Pick<MqttLink, 'publish'>;
  readonly prefix: string;
  readonly siteId: string;
  /**
   * Records alerts_total, stage_seconds{stage="publish"} and frame_to_alert_seconds. Leave it out
   * when the caller records them itself (CameraPipeline does), or every alert is counted twice.
   */
  readonly metrics?: Pick<AgentMetrics, 'alertsTotal' | 'frameToAlertSeconds' | 'stageSeconds'>;
  readonly clock: Clock;
}

/** MQTT 5 properties on every alert, so C5 can route and validate without opening the payload. */
export const ALERT_PROPERTIES: PublishProperties = {
  contentType: 'application/json',
  payloadFormatIndicator: true,
  userProperties: { schema: ALERT_SCHEMA_NAME },
};

/**
 * Sends `c5.alert.v1` on `{prefix}/{site}/{camera}/alerts`, QoS 1, not retained. The promise
 * settles on the broker's PUBACK, which is also where `frame_to_alert_seconds` stops the clock.
 */
export class MqttAlertSink implements AlertSink {
  private readonly deps: MqttAlertSinkDeps;
  private closed = false;

  constructor(deps: MqttAlertSinkDeps) {
    this.deps = deps;
  }

  async publish(alert: Alert): Promise<void> {
    const labels = { camera: alert.cameraId, rule: alert.ruleId };
    try {
      if (this.closed) throw new PublishError('sink_closed', `alert ${alert.id} not sent: the alert sink is shut down`);
      // The wire contract is checked at the last moment it can be: a malformed alert would be
      // acknowledged by the broker and then rejected by every consumer.
      const checked = alertSchema.safeParse(alert);
      if (!checked.success) {
        const first = checked.error.issues[0];
        throw new PublishError('invalid_alert', `alert ${alert.id} does not match ${ALERT_SCHEMA_NAME}: ${first?.path.join('.') ?? ''} ${first?.message ?? ''}`.trim());
      }
      if (alert.siteId !== this.deps.siteId) {
        throw new PublishError('invalid_alert', `alert ${alert.id} is for site ${alert.siteId}, this agent is ${this.deps.siteId}`);
      }
      const topic = cameraAlertsTopic(this.deps.prefix, this.deps.siteId, alert.cameraId);
      const started = this.deps.clock.now();
      await this.deps.link.publish(topic, JSON.stringify(alert), { qos: 1, retain: false, properties: ALERT_PROPERTIES });
      const metrics = this.deps.metrics;
      if (metrics) {
        const acked = this.deps.clock.now();
        metrics.stageSeconds.observe({ stage: 'publish' }, (acked - started) / 1000);
        const frameTime = Date.parse(alert.frameTime);
        if (Number.isFinite(frameTime)) metrics.frameToAlertSeconds.observe(Math.max(0, acked - frameTime) / 1000);
        metrics.alertsTotal.inc({ ...labels, outcome: 'published' });
      }
    } catch (error) {
      this.deps.metrics?.alertsTotal.inc({ ...labels, outcome: 'failed' });
      throw error;
    }
  }

  /** The link belongs to the agent, not to the sink; this only refuses later alerts. Idempotent. */
  async shutdown(): Promise<void> {
    this.closed = true;
  }
}
