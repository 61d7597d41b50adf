import { describe, expect, it } from 'vitest';
import { SiteStatusTracker } from '../../../../agent/mqtt/SiteStatusTracker.js';
import { PublishError } from '../../../../pipelines/errors.js';
import { ManualClock } from '../../../helpers/manualClock.js';

const START = Date.UTC(2026, 0, 2, 3, 4, 5);

function tracker(clock = new ManualClock(START)) {
  return new SiteStatusTracker({ prefix: 'c5', siteId: 'site-a', agentVersion: '1.2.3', configVersion: 7, clock });
}

const parse = (payload: string): Record<string, unknown> => JSON.parse(payload) as Record<string, unknown>;

describe('SiteStatusTracker', () => {
  it('says online with the versions and start time, and offline with its reason', () => {
    const clock = new ManualClock(START);
    const status = tracker(clock);
    // Before start() there is no start time yet: the status says "now".
    clock.advance(1_000);
    expect(parse(status.sitePayload('online')).startedAt).toBe(new Date(START + 1_000).toISOString());
    status.markStarted();
    clock.advance(60_000);
    expect(status.topic).toBe('c5/site-a/status');
    expect(parse(status.sitePayload('online'))).toEqual({
      state: 'online',
      siteId: 'site-a',
      version: '1.2.3',
      configVersion: 7,
      startedAt: new Date(START + 1_000).toISOString(),
    });
    expect(parse(status.sitePayload('offline', 'connection_lost'))).toMatchObject({ state: 'offline', reason: 'connection_lost' });
  });

  it('turns online into degraded with sorted reasons while any is raised, and reports only real changes', () => {
    const status = tracker();
    expect(status.setDegraded('publish_refused', true)).toBe(true);
    expect(status.setDegraded('outbox_unwritable', true)).toBe(true);
    expect(status.setDegraded('outbox_unwritable', true)).toBe(false);
    expect(parse(status.sitePayload('online'))).toMatchObject({ state: 'degraded', reasons: ['outbox_unwritable', 'publish_refused'] });
    // The Last Will and the shutdown status stay plain offline: a degraded site that is gone is just gone.
    expect(parse(status.sitePayload('offline', 'shutdown'))).not.toHaveProperty('reasons');
    expect(status.setDegraded('publish_refused', false)).toBe(true);
    expect(status.setDegraded('outbox_unwritable', false)).toBe(true);
    expect(status.setDegraded('outbox_unwritable', false)).toBe(false);
    expect(parse(status.sitePayload('online'))).toMatchObject({ state: 'online' });
    expect(parse(status.sitePayload('online'))).not.toHaveProperty('reasons');
  });

  it('carries a new config version from then on', () => {
    const status = tracker();
    status.setConfigVersion(8);
    expect(parse(status.sitePayload('online')).configVersion).toBe(8);
    expect(parse(status.sitePayload('offline', 'connection_lost')).configVersion).toBe(8);
  });

  it('repeats each camera once, with its latest status, only in a birth after a reconnect', () => {
    const status = tracker();
    status.recordCamera({ cameraId: 'cam-1', state: 'offline', reason: 'stalled', since: START });
    status.recordCamera({ cameraId: 'cam-2', state: 'online', since: START });
    status.recordCamera({ cameraId: 'cam-1', state: 'online', since: START + 1000 });
    expect(status.birthMessages(false).map((m) => m.topic)).toEqual(['c5/site-a/status']);
    const birth = status.birthMessages(true);
    expect(birth.map((m) => m.topic)).toEqual(['c5/site-a/status', 'c5/site-a/cam-1/status', 'c5/site-a/cam-2/status']);
    expect(parse(birth[1]?.payload ?? '{}')).toEqual({ cameraId: 'cam-1', state: 'online', since: new Date(START + 1000).toISOString() });
  });

  it('at a clean stop says offline/stopped for every camera, except one a config removed, then the site offline', () => {
    const clock = new ManualClock(START);
    const status = tracker(clock);
    status.recordCamera({ cameraId: 'cam-1', state: 'online', since: START });
    status.recordCamera({ cameraId: 'cam-2', state: 'offline', reason: 'stalled', since: START });
    status.recordCamera({ cameraId: 'cam-3', state: 'offline', reason: 'removed', detail: 'not in config version 8', since: START });
    clock.advance(5_000);
    const messages = status.shutdownMessages();
    expect(messages.map((m) => [m.topic, parse(m.payload)])).toEqual([
      ['c5/site-a/cam-1/status', { cameraId: 'cam-1', state: 'offline', reason: 'stopped', since: new Date(START + 5_000).toISOString() }],
      ['c5/site-a/cam-2/status', { cameraId: 'cam-2', state: 'offline', reason: 'stopped', since: new Date(START + 5_000).toISOString() }],
      ['c5/site-a/status', expect.objectContaining({ state: 'offline', reason: 'shutdown' })],
    ]);
  });

  it('refuses a prefix or site id that cannot be a topic when it is built', () => {
    const clock = new ManualClock(START);
    const build = (prefix: string, siteId: string) => () => new SiteStatusTracker({ prefix, siteId, agentVersion: '1', configVersion: 1, clock });
    expect(build('c5/#', 'site-a')).toThrow(PublishError);
    expect(build('c5', 'site/a')).toThrow(/site id/);
  });
});
