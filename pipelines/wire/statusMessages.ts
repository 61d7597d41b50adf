import { z } from 'zod';
import { id } from '../config/common.js';

/**
 * Payloads of the retained status topics, exactly as `agent/mqtt/statusMessages.ts` builds them:
 * `{prefix}/{site}/status` (also the Last Will) and `{prefix}/{site}/{camera}/status`.
 */

const reasonCode = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'expected a reason code');

export const SITE_STATES = ['online', 'degraded', 'offline'] as const;
export const SITE_OFFLINE_REASONS = ['shutdown', 'connection_lost'] as const;

export const siteStatusMessageSchema = z
  .strictObject({
    state: z.enum(SITE_STATES).describe('online; degraded: connected, but something on the delivery path needs attention (see reasons); offline'),
    reason: z.enum(SITE_OFFLINE_REASONS).optional().describe('offline only: shutdown (graceful stop) or connection_lost (the Last Will)'),
    reasons: z
      .array(reasonCode.describe('a degraded reason code'))
      .min(1)
      .optional()
      .describe('degraded only, sorted, e.g. outbox_unwritable, publish_refused'),
    siteId: id.describe('the site'),
    version: z.string().min(1).describe("the agent's software version"),
    configVersion: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('version of the site config running'),
    startedAt: z.iso.datetime({ offset: false }).describe('when the agent process started, ISO 8601 UTC'),
  })
  .describe('Retained status of a site (its agent).');

export type SiteStatusMessage = z.output<typeof siteStatusMessageSchema>;

export const CAMERA_STATES = ['online', 'offline', 'degraded'] as const;

export const cameraStatusMessageSchema = z
  .strictObject({
    cameraId: id.describe('the camera, as in the site config'),
    state: z.enum(CAMERA_STATES).describe('online: frames flow; degraded: frames flow with trouble; offline: no frames (see reason)'),
    reason: reasonCode
      .optional()
      .describe(
        'machine-readable cause, e.g. stalled, exited, spawn_failed, not_video, unreachable, unauthorized, not_found, permission_denied, no_stream_info, hw_decode_failed, removed, model_unavailable',
      ),
    detail: z.string().optional().describe('human-readable detail, credentials redacted'),
    since: z.iso.datetime({ offset: false }).describe('when the camera entered this state, ISO 8601 UTC'),
  })
  .describe('Retained status of one camera.');

export type CameraStatusMessage = z.output<typeof cameraStatusMessageSchema>;
