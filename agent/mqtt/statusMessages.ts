import type { CameraStatus } from '../../pipelines/stages.js';
import type { CameraStatusMessage, SiteStatusMessage } from '../../pipelines/wire/statusMessages.js';

/**
 * Payloads of the retained status topics (README, "MQTT interface"). Each is built as the wire
 * schema's type (`pipelines/wire/statusMessages.ts`, the AsyncAPI contract's payload), so a field
 * added here without the contract does not compile.
 */

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
  const message: SiteStatusMessage = {
    state: status.state,
    ...(status.reason === undefined ? {} : { reason: status.reason }),
    ...(status.reasons === undefined || status.reasons.length === 0 ? {} : { reasons: [...status.reasons] }),
    siteId: status.siteId,
    version: status.version,
    configVersion: status.configVersion,
    startedAt: new Date(status.startedAt).toISOString(),
  };
  return JSON.stringify(message);
}

export function cameraStatusPayload(status: CameraStatus): string {
  const message: CameraStatusMessage = {
    cameraId: status.cameraId,
    state: status.state,
    ...(status.reason === undefined ? {} : { reason: status.reason }),
    ...(status.detail === undefined ? {} : { detail: status.detail }),
    since: new Date(status.since).toISOString(),
  };
  return JSON.stringify(message);
}
