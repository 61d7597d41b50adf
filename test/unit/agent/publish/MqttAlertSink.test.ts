import { describe, expect, it } from 'vitest';
import { createAgentMetrics } from '../../../../agent/observe/metrics.js';
import { MqttAlertSink } from '../../../../agent/publish/MqttAlertSink.js';
import type { PublishOptions } from '../../../../agent/publish/MqttLink.js';
import { PublishError } from '../../../../pipelines/errors.js';
import { makeAlert } from '../../../helpers/alertFixture.js';
import { ManualClock } from '../../../helpers/manualClock.js';

interface Sent {
  topic: string;
  payload: string | Buffer;
  options: PublishOptions;
}

function fakeLink(outcome: () => Promise<void> = () => Promise.resolve()) {
  const sent: Sent[] = [];
  return {
    sent,
    publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
      sent.push({ topic, payload, options });
      return outcome();
    },
  };
}

async function valueOf(metrics: ReturnType<typeof createAgentMetrics>, name: string): Promise<string> {
  const text = await metrics.registry.metrics();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .join('\n');
}

describe('MqttAlertSink', () => {
  it('publishes the alert JSON on {prefix}/{site}/{camera}/alerts, QoS 1, not retained, with MQTT 5 properties', async () => {
    const link = fakeLink();
    const clock = new ManualClock();
    const sink = new MqttAlertSink({ link, prefix: 'c5', siteId: 'site-a', clock });
    const alert = makeAlert({ cameraId: 'gate-2' });
    await sink.publish(alert);
    expect(link.sent).toHaveLength(1);
    const [sent] = link.sent;
    expect(sent?.topic).toBe('c5/site-a/gate-2/alerts');
    expect(JSON.parse(String(sent?.payload))).toEqual(alert);
    expect(sent?.options).toMatchObject({
      qos: 1,
      retain: false,
      properties: { contentType: 'application/json', userProperties: { schema: 'c5.alert.v1' } },
    });
  });

  it('records publish latency, frame-to-PUBACK latency and the outcome when given metrics', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const metrics = createAgentMetrics({ siteId: 'site-a', version: '0.1.0', defaultMetrics: false });
    let ack: () => void = () => undefined;
    const link = fakeLink(() => new Promise<void>((resolve) => (ack = resolve)));
    const sink = new MqttAlertSink({ link, prefix: 'c5', siteId: 'site-a', metrics, clock });
    const done = sink.publish(makeAlert({ frameTime: clock.now() - 250 }));
    clock.advance(50);
    ack();
    await done;
    expect(await valueOf(metrics, 'c5_agent_frame_to_alert_seconds_sum')).toBe('c5_agent_frame_to_alert_seconds_sum 0.3');
    expect(await valueOf(metrics, 'c5_agent_stage_seconds_sum{stage="publish"}')).toBe('c5_agent_stage_seconds_sum{stage="publish"} 0.05');
    expect(await valueOf(metrics, 'c5_agent_alerts_total')).toBe('c5_agent_alerts_total{camera="cam-1",rule="people",outcome="published"} 1');
  });

  it('counts a failed publish and passes the error on', async () => {
    const metrics = createAgentMetrics({ siteId: 'site-a', version: '0.1.0', defaultMetrics: false });
    const refused = new PublishError('publish_refused', 'no');
    const sink = new MqttAlertSink({ link: fakeLink(() => Promise.reject(refused)), prefix: 'c5', siteId: 'site-a', metrics, clock: new ManualClock() });
    await expect(sink.publish(makeAlert())).rejects.toBe(refused);
    expect(await valueOf(metrics, 'c5_agent_alerts_total')).toBe('c5_agent_alerts_total{camera="cam-1",rule="people",outcome="failed"} 1');
  });

  it('refuses alerts that break the wire contract or belong to another site, before they reach the broker', async () => {
    const link = fakeLink();
    const sink = new MqttAlertSink({ link, prefix: 'c5', siteId: 'site-a', clock: new ManualClock() });
    const bad = { ...makeAlert(), image: 'base64...' };
    await expect(sink.publish(bad)).rejects.toMatchObject({ code: 'invalid_alert' });
    await expect(sink.publish(makeAlert({ siteId: 'site-b' }))).rejects.toMatchObject({ code: 'invalid_alert' });
    expect(link.sent).toHaveLength(0);
  });

  it('refuses alerts after shutdown(), which is idempotent', async () => {
    const sink = new MqttAlertSink({ link: fakeLink(), prefix: 'c5', siteId: 'site-a', clock: new ManualClock() });
    await sink.shutdown();
    await sink.shutdown();
    await expect(sink.publish(makeAlert())).rejects.toMatchObject({ code: 'sink_closed' });
  });
});
