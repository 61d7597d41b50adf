import { describe, expect, it } from 'vitest';
import { alertProperties } from '../../../../agent/publish/alertMessage.js';
import { MemoryOutbox } from '../../../../agent/publish/MemoryOutbox.js';
import type { OutboxDrop } from '../../../../agent/publish/Outbox.js';
import { OutboxAlertSink } from '../../../../agent/publish/OutboxAlertSink.js';
import { makeAlert } from '../../../helpers/alertFixture.js';
import { ManualClock } from '../../../helpers/manualClock.js';

function setup(maxMessages = 100) {
  const clock = new ManualClock(1_700_000_000_000);
  const outbox = new MemoryOutbox({ maxMessages, maxBytes: 1_000_000 });
  const told: (readonly OutboxDrop[])[] = [];
  const sink = new OutboxAlertSink({ outbox, stored: (drops) => told.push(drops), prefix: 'c5', siteId: 'site-a', clock });
  return { clock, outbox, told, sink };
}

describe('OutboxAlertSink', () => {
  it('stores the alert JSON for {prefix}/{site}/{camera}/alerts and resolves without waiting for any broker', async () => {
    const { clock, outbox, told, sink } = setup();
    const alert = makeAlert({ cameraId: 'gate-2', frameTime: clock.now() - 250 });
    await sink.publish(alert);
    expect(outbox.after(0, 10)).toEqual([
      { seq: alert.seq, id: alert.id, cameraId: 'gate-2', topic: 'c5/site-a/gate-2/alerts', payload: JSON.stringify(alert), createdAt: clock.now(), frameTime: clock.now() - 250 },
    ]);
    expect(told).toEqual([[]]);
  });

  it('stores synchronously, so alerts enter the outbox in the order they were emitted', () => {
    const { outbox, sink } = setup();
    const alerts = [makeAlert(), makeAlert({ cameraId: 'cam-2' }), makeAlert()];
    for (const alert of alerts) void sink.publish(alert);
    expect(outbox.after(0, 10).map((record) => record.id)).toEqual(alerts.map((alert) => alert.id));
  });

  it('passes on what the outbox dropped to make room', async () => {
    const { told, sink } = setup(1);
    const first = makeAlert();
    await sink.publish(first);
    await sink.publish(makeAlert());
    expect(told[1]).toEqual([expect.objectContaining({ id: first.id, reason: 'max_messages' })]);
  });

  it('refuses alerts that break the wire contract or belong to another site, before they are stored', async () => {
    const { outbox, sink } = setup();
    await expect(sink.publish({ ...makeAlert(), image: 'base64...' } as never)).rejects.toMatchObject({ code: 'invalid_alert' });
    await expect(sink.publish(makeAlert({ siteId: 'site-b' }))).rejects.toMatchObject({ code: 'invalid_alert', message: expect.stringContaining('is for site site-b, this agent is site-a') });
    expect(outbox.stats().messages).toBe(0);
  });

  it('rejects an alert whose seq does not come after the last stored one', async () => {
    const { sink } = setup();
    const alert = makeAlert();
    await sink.publish(alert);
    await expect(sink.publish({ ...makeAlert(), seq: alert.seq })).rejects.toMatchObject({ code: 'outbox_seq' });
  });

  it('refuses alerts after shutdown(), which is idempotent', async () => {
    const { sink } = setup();
    await sink.shutdown();
    await sink.shutdown();
    await expect(sink.publish(makeAlert())).rejects.toMatchObject({ code: 'sink_closed' });
  });
});

describe('alertProperties', () => {
  it('marks alerts as JSON of schema c5.alert.v1, expiring when the config says', () => {
    expect(alertProperties(600)).toEqual({ contentType: 'application/json', payloadFormatIndicator: true, userProperties: { schema: 'c5.alert.v1' }, messageExpiryInterval: 600 });
    expect(alertProperties(undefined)).not.toHaveProperty('messageExpiryInterval');
  });
});
