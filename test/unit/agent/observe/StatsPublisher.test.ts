import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { createAgentMetrics, type AgentMetrics } from '../../../../agent/observe/metrics.js';
import { StatsPublisher } from '../../../../agent/observe/StatsPublisher.js';
import type { PublishOptions } from '../../../../agent/mqtt/MqttLink.js';
import { AUDIT_CHECKPOINT_SCHEMA_NAME, type AuditCheckpoint } from '../../../../pipelines/auditCheckpoint.js';
import { PublishError } from '../../../../pipelines/errors.js';
import { statsMessageSchema, type StatsMessage } from '../../../../pipelines/statsMessage.js';
import { ManualClock } from '../../../helpers/manualClock.js';

const logger = createRootLogger({ level: 'silent' });
const TOPIC = 'c5/site-a/stats';

class RecordingLink {
  readonly sent: { topic: string; message: StatsMessage; options: PublishOptions }[] = [];
  connected = true;
  async publish(topic: string, payload: string, options: PublishOptions): Promise<void> {
    if (!this.connected) throw new PublishError('not_connected', `not connected; QoS 0 message on ${topic} dropped`);
    this.sent.push({ topic, message: statsMessageSchema.parse(JSON.parse(payload)), options });
  }
}

const publishers: StatsPublisher[] = [];

function setUp(
  intervalSeconds = 30,
  auditCheckpoint?: () => AuditCheckpoint | undefined,
): { clock: ManualClock; link: RecordingLink; metrics: AgentMetrics; stats: StatsPublisher } {
  const clock = new ManualClock();
  const link = new RecordingLink();
  const metrics = createAgentMetrics({ siteId: 'site-a', version: '1', configVersion: 5, defaultMetrics: false });
  const stats = new StatsPublisher({ metrics, link, topic: TOPIC, siteId: 'site-a', intervalMs: intervalSeconds * 1000, clock, logger, auditCheckpoint });
  publishers.push(stats);
  return { clock, link, metrics, stats };
}

afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.stop()));
});

describe('StatsPublisher', () => {
  it('publishes the figures of each interval on {prefix}/{site}/stats, QoS 0, not retained', async () => {
    const { clock, link, metrics, stats } = setUp(30);
    metrics.framesTotal.inc({ camera: 'gate', outcome: 'processed' }, 1000);
    await stats.start();
    expect(link.sent).toHaveLength(0);

    metrics.framesTotal.inc({ camera: 'gate', outcome: 'processed' }, 150);
    metrics.framesTotal.inc({ camera: 'gate', outcome: 'dropped' }, 3);
    metrics.framesTotal.inc({ camera: 'gate', outcome: 'skipped_motion' }, 30);
    metrics.cameraUp.set({ camera: 'gate' }, 1);
    for (let i = 0; i < 10; i += 1) metrics.inferenceSeconds.observe({ model: 'yolox-nano' }, 0.012);
    metrics.alertsTotal.inc({ camera: 'gate', rule: 'people', severity: 'medium', outcome: 'published' }, 2);
    metrics.outboxMessages.set(7);
    metrics.outboxOldestAgeSeconds.set(3.25);
    metrics.mqttConnected.set(1);
    clock.advance(29_999);
    expect(link.sent).toHaveLength(0);
    clock.advance(1);
    await vi.waitFor(() => expect(link.sent).toHaveLength(1));

    const [first] = link.sent;
    expect(first!.topic).toBe(TOPIC);
    expect(first!.options).toMatchObject({ qos: 0, retain: false });
    expect(first!.options.properties?.userProperties).toEqual({ schema: 'c5.stats.v1' });
    expect(first!.message).toMatchObject({
      siteId: 'site-a',
      periodSeconds: 30,
      configVersion: 5,
      mqttConnected: true,
      cameras: [{ id: 'gate', up: true, fps: { processed: 5, dropped: 0.1, skipped: 1, failed: 0 } }],
      inference: [{ model: 'yolox-nano', calls: 10, meanMs: 12 }],
      alerts: { published: 2, failed: 0 },
      outbox: { depth: 7, oldestAgeSeconds: 3.25 },
    });
    // 10 observations all in the 10..15 ms bucket: p95 interpolates to 10 + 5 * 0.95
    expect(first!.message.inference[0]!.p95Ms).toBeCloseTo(14.75, 5);
    expect(first!.message.at).toBe(new Date(clock.now()).toISOString());

    clock.advance(30_000);
    await vi.waitFor(() => expect(link.sent).toHaveLength(2));
    expect(link.sent[1]!.message.cameras[0]!.fps).toEqual({ processed: 0, dropped: 0, skipped: 0, failed: 0 });
    expect(link.sent[1]!.message.inference[0]).toMatchObject({ calls: 0, meanMs: null, p95Ms: null });
  });

  it('drops a summary the link refuses and carries on with the next interval', async () => {
    const { clock, link, metrics, stats } = setUp(10);
    await stats.start();
    link.connected = false;
    metrics.framesTotal.inc({ camera: 'gate', outcome: 'processed' }, 50);
    clock.advance(10_000);
    await stats.tick();
    expect(link.sent).toHaveLength(0);
    link.connected = true;
    metrics.framesTotal.inc({ camera: 'gate', outcome: 'processed' }, 20);
    clock.advance(10_000);
    await vi.waitFor(() => expect(link.sent).toHaveLength(1));
    // the refused interval is not folded into the next one
    expect(link.sent[0]!.message.cameras[0]!.fps.processed).toBe(2);
  });

  it('stops its timer, idempotently, and publishes nothing afterwards', async () => {
    const { clock, link, stats } = setUp(10);
    await stats.start();
    expect(clock.pendingCount).toBe(1);
    await Promise.all([stats.stop(), stats.stop()]);
    expect(clock.pendingCount).toBe(0);
    clock.advance(60_000);
    await stats.tick();
    expect(link.sent).toHaveLength(0);
    await stats.start();
    expect(clock.pendingCount).toBe(0);
  });

  it('carries the newest signed audit checkpoint once there is one', async () => {
    let latest: AuditCheckpoint | undefined = undefined; // read by the closure below before it is set
    const { clock, link, stats } = setUp(10, () => latest);
    await stats.start();
    clock.advance(10_000);
    await vi.waitFor(() => expect(link.sent).toHaveLength(1));
    expect(link.sent[0]!.message.auditCheckpoint).toBeUndefined();

    latest = {
      schema: AUDIT_CHECKPOINT_SCHEMA_NAME,
      siteId: 'site-a',
      seq: 12,
      hash: 'ab'.repeat(32),
      time: '2026-11-29T12:00:00.000Z',
      keyId: 'ed25519-0123456789abcdef',
      publicKey: `${'A'.repeat(43)}=`,
      sig: `${'B'.repeat(86)}==`,
    };
    clock.advance(10_000);
    await vi.waitFor(() => expect(link.sent).toHaveLength(2));
    expect(link.sent[1]!.message.auditCheckpoint).toEqual(latest);
  });
});
