import type { CameraStatus } from '../../pipelines/stages.js';

/** Payloads of the retained status topics (README, "MQTT interface"). */

export interface SiteStatus {
  /** `degraded`: connected, but something on the delivery path needs attention (see `reasons`) */
  readonly state: 'online' | 'degraded' | 'offline';
  /** degraded only, e.g. `outbox_unwritable`, `publish_refused` */
  readonly reasons?: readonly string[];
  /** offline only: `shutdown` (graceful) or `connection_lost` (the Last Will) */
  readonly reason?: 'shutdown' | 'connection_lost';
  readonly siteId: string;
  readonly version: string;
  readonly configVersion: number;
  /** epoch ms when the agent started */
  readonly startedAt: number;
}

export function siteStatusPayload(status: SiteStatus): string {
  return JSON.stringify({
    state: status.state,
    ...(status.reason === undefined ? {} : { reason: status.reason }),
    ...(status.reasons === undefined || status.reasons.length === 0 ? {} : { reasons: status.reasons }),
    siteId: status.siteId,
    version: status.version,
    configVersion: status.configVersion,
    startedAt: new Date(status.startedAt).toISOString(),
  });
}

export function cameraStatusPayload(status: CameraStatus): string {
  return JSON.stringify({
    cameraId: status.cameraId,
    state: status.state,
    ...(status.reason === undefined ? {} : { reason: status.reason }),
    ...(status.detail === undefined ? {} : { detail: status.detail }),
    since: new Date(status.since).toISOString(),
  });
}
