import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  auditCheckpointTopic,
  cameraAlertsTopic,
  cameraStatusTopic,
  configPushTopic,
  configStateTopic,
  siteAlertsFilter,
  siteStatusTopic,
  siteTopics,
  statsTopic,
} from '../../../../agent/mqtt/topics.js';
import { PublishError } from '../../../../pipelines/errors.js';

describe('MQTT topics (README, "MQTT interface")', () => {
  it('builds every topic of the interface under the prefix', () => {
    expect(siteStatusTopic('c5', 'site-a')).toBe('c5/site-a/status');
    expect(cameraStatusTopic('c5', 'site-a', 'cam-1')).toBe('c5/site-a/cam-1/status');
    expect(cameraAlertsTopic('c5', 'site-a', 'cam-1')).toBe('c5/site-a/cam-1/alerts');
    expect(statsTopic('c5', 'site-a')).toBe('c5/site-a/stats');
    expect(configPushTopic('c5', 'site-a')).toBe('c5/site-a/config/push');
    expect(configStateTopic('c5', 'site-a')).toBe('c5/site-a/config/state');
    expect(siteAlertsFilter('c5', 'site-a')).toBe('c5/site-a/+/alerts');
    expect(auditCheckpointTopic('c5', 'site-a')).toBe('c5/site-a/audit/checkpoint');
  });

  it('accepts a multi-level prefix', () => {
    expect(cameraAlertsTopic('city/mx/c5', 'site-a', 'cam-1')).toBe('city/mx/c5/site-a/cam-1/alerts');
  });

  it("bundles a site's topics", () => {
    const topics = siteTopics('c5', 'north');
    expect(topics.status).toBe('c5/north/status');
    expect(topics.cameraAlerts('gate')).toBe('c5/north/gate/alerts');
    expect(topics.cameraStatus('gate')).toBe('c5/north/gate/status');
    expect(topics.configPush).toBe('c5/north/config/push');
    expect(topics.auditCheckpoint).toBe('c5/north/audit/checkpoint');
  });

  it.each([
    ['site id with a slash', () => siteStatusTopic('c5', 'a/b')],
    ['camera id with a wildcard', () => cameraAlertsTopic('c5', 'site', 'cam+')],
    ['camera id with #', () => cameraStatusTopic('c5', 'site', '#')],
    ['empty camera id', () => cameraStatusTopic('c5', 'site', '')],
    ['prefix with a wildcard', () => statsTopic('c5/#', 'site')],
    ['prefix with a trailing slash', () => statsTopic('c5/', 'site')],
    ['prefix with an empty level', () => statsTopic('c5//x', 'site')],
    ['empty prefix', () => statsTopic('', 'site')],
  ])('refuses a %s with PublishError invalid_topic', (_name, build) => {
    expect(build).toThrow(PublishError);
    try {
      build();
    } catch (error) {
      expect((error as PublishError).code).toBe('invalid_topic');
    }
  });

  it('always yields exactly prefix + site + camera + kind levels for valid ids', () => {
    const idArb = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/);
    fc.assert(
      fc.property(idArb, idArb, (site, camera) => {
        const levels = cameraAlertsTopic('c5', site, camera).split('/');
        expect(levels).toEqual(['c5', site, camera, 'alerts']);
      }),
    );
  });
});
