import { describe, expect, it } from 'vitest';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { createAgentMetrics } from '../../../../agent/observe/metrics.js';
import type { PublishOptions } from '../../../../agent/mqtt/MqttLink.js';
import { MemoryOutbox } from '../../../../agent/outbox/MemoryOutbox.js';
import { PublishRefusedError } from '../../../../agent/mqtt/mqttWire.js';
import type { OutboxRecord } from '../../../../agent/outbox/Outbox.js';
import { OutboxDelivery } from '../../../../agent/outbox/OutboxDelivery.js';
import { ManualClock } from '../../../helpers/manualClock.js';

interface Sent {
  readonly topic: string;
  readonly payload: string;
  readonly options: PublishOptions;
  ack(): void;
  refuse(code: number): void;
}

/** The link as the delivery sees it: publishes settle when the test says (PUBACK or refusal). */
class ScriptedLink {
  connected = true;
  readonly sent: Sent[] = [];
  private readonly listeners = new Set<(up: boolean) => void>();
  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sent.push({ topic, payload: String(payload), options, ack: resolve, refuse: (code) => reject(new PublishRefusedError(topic, code)) });
    });
  }
  onConnectionChange(listener: (up: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  setConnected(up: boolean): void {
    this.connected = up;
    for (const listener of this.listeners) listener(up);
  }
  seqs(): number[] {
    return this.sent.map((sent) => (JSON.parse(sent.payload) as { seq: number }).seq);
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup(options: { window?: number; connected?: boolean } = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const outbox = new MemoryOutbox({ maxMessages: 1_000, maxBytes: 1_000_000 });
  const link = new ScriptedLink();
  link.connected = options.connected ?? true;
  const metrics = createAgentMetrics({ siteId: 's', version: 't', defaultMetrics: false });
  const refused: boolean[] = [];
  const audit: { type: string; [key: string]: unknown }[] = [];
  const logs: string[] = [];
  const delivery = new OutboxDelivery({
    outbox,
    link,
    properties: { contentType: 'application/json', messageExpiryInterval: 600 },
    maxAgeMs: 60_000,
    clock,
    logger: createRootLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } }),
    metrics,
    audit: { append: (entry) => audit.push(entry) },
    onRefusedChange: (value) => refused.push(value),
    retryMinMs: 1_000,
    retryMaxMs: 8_000,
    random: () => 1,
    window: options.window ?? 100,
    maintenanceIntervalMs: 5_000,
  });
  let seq = 0;
  const store = (cameraId = 'cam-1', frameAgoMs = 40): OutboxRecord => {
    seq += 1;
    const now = clock.now();
    const record = {
      seq,
      id: `id-${seq}`,
      cameraId,
      topic: `c5/s/${cameraId}/alerts`,
      payload: JSON.stringify({ seq }),
      createdAt: now,
      frameTime: now - frameAgoMs,
    };
    delivery.stored(outbox.add([record]));
    return record;
  };
  /** the sample lines of one metric; `series` picks lines by prefix (a histogram's `_sum`) */
  const metric = async (name: string, series = name): Promise<string> =>
    (await metrics.registry.getSingleMetricAsString(name))
      .split('\n')
      .filter((line) => line.startsWith(series))
      .join('\n');
  delivery.start();
  return { clock, outbox, link, delivery, store, metric, refused, audit, logs };
}

describe('OutboxDelivery', () => {
  it('sends oldest first with the alert properties, deletes on PUBACK only, and observes frame to PUBACK there', async () => {
    const { clock, outbox, link, store, metric } = setup();
    store('cam-1', 40);
    store('cam-2', 40);
    expect(link.seqs()).toEqual([1, 2]);
    expect(link.sent[0]).toMatchObject({ topic: 'c5/s/cam-1/alerts', options: { qos: 1, retain: false, properties: { messageExpiryInterval: 600 } } });
    expect(await metric('c5_agent_outbox_messages')).toBe('c5_agent_outbox_messages 2');

    clock.advance(60);
    link.sent[1]!.ack();
    await settle();
    expect(outbox.after(0, 10).map((r) => r.seq)).toEqual([1]);
    expect(await metric('c5_agent_frame_to_alert_seconds', 'c5_agent_frame_to_alert_seconds_sum')).toBe('c5_agent_frame_to_alert_seconds_sum 0.1');
    expect(await metric('c5_agent_frame_to_alert_seconds', 'c5_agent_frame_to_alert_seconds_count')).toBe('c5_agent_frame_to_alert_seconds_count 1');
    expect(await metric('c5_agent_outbox_messages')).toBe('c5_agent_outbox_messages 1');
    expect(await metric('c5_agent_outbox_oldest_age_seconds')).toBe('c5_agent_outbox_oldest_age_seconds 0.06');
  });

  it('holds the backlog while disconnected and sends it in order on reconnect, within its window', async () => {
    const { link, store } = setup({ window: 2, connected: false });
    for (let n = 0; n < 5; n += 1) store(n % 2 === 0 ? 'cam-a' : 'cam-b');
    expect(link.sent).toEqual([]);
    link.setConnected(true);
    expect(link.seqs()).toEqual([1, 2]);
    link.sent[0]!.ack();
    link.sent[1]!.ack();
    await settle();
    expect(link.seqs()).toEqual([1, 2, 3, 4]);
    link.sent[2]!.ack();
    await settle();
    expect(link.seqs()).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps a refused alert, pauses with backoff instead of spinning, then retries it first', async () => {
    const { clock, outbox, link, store, refused, logs } = setup();
    store();
    link.sent[0]!.refuse(0x87);
    await settle();
    expect(refused).toEqual([true]);
    expect(outbox.stats().messages).toBe(1);
    expect(logs.join('')).toMatch(/"reason":"not_authorized".*broker refused the alert; it stays in the outbox/);
    // Paused: a new alert waits too, and nothing is re-sent before the pause ends (1 s, jitter 1).
    store();
    clock.advance(999);
    expect(link.seqs()).toEqual([1]);
    clock.advance(1);
    expect(link.seqs()).toEqual([1, 1, 2]);
    link.sent[1]!.refuse(0x87);
    link.sent[2]!.ack();
    await settle();
    // The second pause is twice as long.
    clock.advance(1_999);
    expect(link.seqs()).toEqual([1, 1, 2]);
    clock.advance(1);
    expect(link.seqs()).toEqual([1, 1, 2, 1]);
    link.sent[3]!.ack();
    await settle();
    expect(refused).toEqual([true, false]);
    expect(outbox.stats().messages).toBe(0);
  });

  it('drops alerts past maxAgeHours at upkeep: counted, audited by id, logged once per 10 s', async () => {
    const { clock, store, metric, audit, logs } = setup({ connected: false });
    store('cam-1');
    store('cam-2');
    clock.advance(61_000);
    const fresh = store('cam-1');
    clock.advance(4_000);
    expect(await metric('c5_agent_outbox_dropped_total')).toBe('c5_agent_outbox_dropped_total{reason="max_age"} 2');
    expect(audit).toEqual([
      {
        type: 'outbox_dropped',
        reason: 'max_age',
        count: 2,
        alerts: [
          { seq: 1, id: 'id-1', camera: 'cam-1' },
          { seq: 2, id: 'id-2', camera: 'cam-2' },
        ],
      },
    ]);
    expect(logs.filter((line) => line.includes('outbox over its bounds'))).toHaveLength(1);
    expect(await metric('c5_agent_outbox_messages')).toBe('c5_agent_outbox_messages 1');
    expect(fresh.seq).toBe(3);
  });

  it('stops sending on stop(); PUBACKs still arriving are deleted by flush()', async () => {
    const { outbox, link, delivery, store } = setup();
    store();
    delivery.stop();
    delivery.stop();
    store();
    expect(link.seqs()).toEqual([1]);
    link.sent[0]!.ack();
    await settle();
    delivery.flush();
    expect(outbox.after(0, 10).map((r) => r.seq)).toEqual([2]);
  });
});
