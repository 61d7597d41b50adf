import { ALERT_SCHEMA_NAME, alertSchema, type Alert } from '../../pipelines/alerts.js';
import { PublishError } from '../../pipelines/errors.js';
import type { PublishProperties } from '../MessagePublisher.js';
import type { OutboxRecord } from './Outbox.js';
import { cameraAlertsTopic } from '../mqtt/topics.js';

/**
 * MQTT 5 properties on every alert, so C5 can route and validate without opening the payload.
 * The expiry lets the broker discard an alert nobody took in time instead of queueing it forever.
 */
export function alertProperties(messageExpirySeconds: number | undefined): PublishProperties {
  return {
    contentType: 'application/json',
    payloadFormatIndicator: true,
    userProperties: { schema: ALERT_SCHEMA_NAME },
    ...(messageExpirySeconds === undefined ? {} : { messageExpiryInterval: messageExpirySeconds }),
  };
}

/**
 * Checks the wire contract at the last moment it can be checked (a malformed alert would be
 * acknowledged by the broker and then rejected by every consumer) and turns the alert into what
 * the outbox stores: `c5.alert.v1` JSON on `{prefix}/{site}/{camera}/alerts`.
 */
export function alertRecord(alert: Alert, target: { readonly prefix: string; readonly siteId: string }, now: number): OutboxRecord {
  const checked = alertSchema.safeParse(alert);
  if (!checked.success) {
    const first = checked.error.issues[0];
    throw new PublishError(
      'invalid_alert',
      `alert ${alert.id} does not match ${ALERT_SCHEMA_NAME}: ${first?.path.join('.') ?? ''} ${first?.message ?? ''}`.trim(),
    );
  }
  if (alert.siteId !== target.siteId) {
    throw new PublishError('invalid_alert', `alert ${alert.id} is for site ${alert.siteId}, this agent is ${target.siteId}`);
  }
  return {
    seq: alert.seq,
    id: alert.id,
    cameraId: alert.cameraId,
    topic: cameraAlertsTopic(target.prefix, target.siteId, alert.cameraId),
    payload: JSON.stringify(alert),
    createdAt: now,
    frameTime: Date.parse(alert.frameTime),
  };
}
