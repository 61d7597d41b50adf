import { describe, expect, it } from 'vitest';
import { cameraStatusPayload, siteStatusPayload } from '../../../../agent/mqtt/statusMessages.js';
import { cameraStatusMessageSchema, siteStatusMessageSchema } from '../../../../pipelines/wire/statusMessages.js';

// 2026-01-02T03:04:05.678Z, as epoch ms worked out by hand: 1767322800000 (2026-01-02T03:00:00Z) + 245678 ms
const STARTED = 1767322800000 + 245678;

describe('status wire schemas', () => {
  it('accept what the agent publishes on the site status topic: online, degraded, offline', () => {
    const base = { siteId: 'site-1', version: '0.1.0', configVersion: 3, startedAt: STARTED };
    for (const status of [
      { ...base, state: 'online' as const },
      { ...base, state: 'degraded' as const, reasons: ['outbox_unwritable', 'publish_refused'] },
      { ...base, state: 'offline' as const, reason: 'connection_lost' as const },
    ]) {
      const parsed = siteStatusMessageSchema.parse(JSON.parse(siteStatusPayload(status)));
      expect(parsed.startedAt).toBe('2026-01-02T03:04:05.678Z');
      expect(parsed.state).toBe(status.state);
    }
  });

  it('accept what the agent publishes on a camera status topic', () => {
    const text = cameraStatusPayload({ cameraId: 'cam-1', state: 'offline', reason: 'stalled', detail: 'no frame for 10 s', since: STARTED });
    expect(cameraStatusMessageSchema.parse(JSON.parse(text))).toEqual({
      cameraId: 'cam-1',
      state: 'offline',
      reason: 'stalled',
      detail: 'no frame for 10 s',
      since: '2026-01-02T03:04:05.678Z',
    });
  });

  it('refuse unknown keys, unknown states and epoch-ms times', () => {
    const valid = { state: 'online', siteId: 'site-1', version: '0.1.0', configVersion: 1, startedAt: '2026-01-02T03:04:05.678Z' };
    expect(siteStatusMessageSchema.safeParse(valid).success).toBe(true);
    expect(siteStatusMessageSchema.safeParse({ ...valid, extra: 1 }).success).toBe(false);
    expect(siteStatusMessageSchema.safeParse({ ...valid, state: 'sleeping' }).success).toBe(false);
    expect(siteStatusMessageSchema.safeParse({ ...valid, startedAt: STARTED }).success).toBe(false);
    expect(cameraStatusMessageSchema.safeParse({ cameraId: 'Cam/1', state: 'online', since: '2026-01-02T03:04:05.678Z' }).success).toBe(false);
  });
});
