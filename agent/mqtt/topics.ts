import { PublishError } from '../../pipelines/errors.js';

/**
 * Topic names of the MQTT interface (README, "MQTT interface"). Built here and nowhere else so
 * the agent, the tests and the AsyncAPI description cannot drift apart.
 */

export const DEFAULT_PREFIX = 'c5';

// A site or camera id becomes exactly one topic level: a `/` would shift every level after it and
// a wildcard would make the name unpublishable.
// eslint-disable-next-line no-control-regex -- MQTT forbids NUL in topic names; it is the character rejected here
const FORBIDDEN_IN_LEVEL = /[/+#\u0000]/;
// eslint-disable-next-line no-control-regex -- MQTT forbids NUL in topic names; it is the character rejected here
const FORBIDDEN_IN_PREFIX = /[+#\u0000]/;

function level(kind: string, value: string): string {
  if (value.length === 0 || FORBIDDEN_IN_LEVEL.test(value)) {
    throw new PublishError('invalid_topic', `${kind} ${JSON.stringify(value)} cannot be an MQTT topic level`);
  }
  return value;
}

function prefixOf(prefix: string): string {
  if (prefix.length === 0 || FORBIDDEN_IN_PREFIX.test(prefix) || prefix.startsWith('/') || prefix.endsWith('/') || prefix.includes('//')) {
    throw new PublishError('invalid_topic', `topic prefix ${JSON.stringify(prefix)} is not usable (no wildcards, no empty levels)`);
  }
  return prefix;
}

/** `{prefix}/{site}/status`: retained online/offline, also the Last Will. */
export function siteStatusTopic(prefix: string, siteId: string): string {
  return `${prefixOf(prefix)}/${level('site id', siteId)}/status`;
}

/** `{prefix}/{site}/{camera}/status`: retained camera state. */
export function cameraStatusTopic(prefix: string, siteId: string, cameraId: string): string {
  return `${prefixOf(prefix)}/${level('site id', siteId)}/${level('camera id', cameraId)}/status`;
}

/** `{prefix}/{site}/{camera}/alerts`: `c5.alert.v1`, QoS 1, not retained. */
export function cameraAlertsTopic(prefix: string, siteId: string, cameraId: string): string {
  return `${prefixOf(prefix)}/${level('site id', siteId)}/${level('camera id', cameraId)}/alerts`;
}

/** `{prefix}/{site}/stats`: periodic summary, QoS 0. */
export function statsTopic(prefix: string, siteId: string): string {
  return `${prefixOf(prefix)}/${level('site id', siteId)}/stats`;
}

/** `{prefix}/{site}/config/push`: signed config envelopes from C5 (the agent subscribes). */
export function configPushTopic(prefix: string, siteId: string): string {
  return `${prefixOf(prefix)}/${level('site id', siteId)}/config/push`;
}

/** `{prefix}/{site}/config/state`: retained result of the last config push. */
export function configStateTopic(prefix: string, siteId: string): string {
  return `${prefixOf(prefix)}/${level('site id', siteId)}/config/state`;
}

/** `{prefix}/{site}/audit/checkpoint`: retained `c5.audit-checkpoint.v1`, QoS 1, the signed head of the audit log. */
export function auditCheckpointTopic(prefix: string, siteId: string): string {
  return `${prefixOf(prefix)}/${level('site id', siteId)}/audit/checkpoint`;
}

/** Subscription filter for every camera's alerts of a site (C5 side and tests). */
export function siteAlertsFilter(prefix: string, siteId: string): string {
  return `${prefixOf(prefix)}/${level('site id', siteId)}/+/alerts`;
}

export interface SiteTopics {
  readonly status: string;
  readonly stats: string;
  readonly configPush: string;
  readonly configState: string;
  readonly auditCheckpoint: string;
  readonly alertsFilter: string;
  cameraStatus(cameraId: string): string;
  cameraAlerts(cameraId: string): string;
}

/** All topics of one site, with the prefix and site id validated once. */
export function siteTopics(prefix: string, siteId: string): SiteTopics {
  return {
    status: siteStatusTopic(prefix, siteId),
    stats: statsTopic(prefix, siteId),
    configPush: configPushTopic(prefix, siteId),
    configState: configStateTopic(prefix, siteId),
    auditCheckpoint: auditCheckpointTopic(prefix, siteId),
    alertsFilter: siteAlertsFilter(prefix, siteId),
    cameraStatus: (cameraId) => cameraStatusTopic(prefix, siteId, cameraId),
    cameraAlerts: (cameraId) => cameraAlertsTopic(prefix, siteId, cameraId),
  };
}
