import { describe, expect, it, vi } from 'vitest';
import { alertProperties } from '../../../../agent/outbox/alertMessage.js';
import { MemoryOutbox } from '../../../../agent/outbox/MemoryOutbox.js';
import type { OutboxDrop } from '../../../../agent/outbox/Outbox.js';
import { OutboxAlertSink } from '../../../../agent/outbox/OutboxAlertSink.js';
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
      {
        seq: alert.seq,
        id: alert.id,
        cameraId: 'gate-2',
        topic: 'c5/site-a/gate-2/alerts',
        payload: JSON.stringify(alert),
        createdAt: clock.now(),
        frameTime: clock.now() - 250,
      },
    ]);
    expect(told).toEqual([[]]);
  });

  it('stores the alerts published in one synchronous run in one transaction, in the order they were published', async () => {
    const { outbox, told } = setup();
    const adds: number[] = [];
    const counting = { add: (records: Parameters<MemoryOutbox['add']>[0]) => (adds.push(records.length), outbox.add(records)) };
    const grouped = new OutboxAlertSink({ outbox: counting, stored: (drops) => told.push(drops), prefix: 'c5', siteId: 'site-a', clock: new ManualClock(0) });
    const frameOne = [makeAlert(), makeAlert({ cameraId: 'cam-2' }), makeAlert()];
    await Promise.all(frameOne.map((alert) => grouped.publish(alert)));
    const frameTwo = [makeAlert(), makeAlert()];
    await Promise.all(frameTwo.map((alert) => grouped.publish(alert)));
    expect(adds).toEqual([3, 2]);
    expect(told).toHaveLength(2);
    expect(outbox.after(0, 10).map((record) => record.id)).toEqual([...frameOne, ...frameTwo].map((alert) => alert.id));
  });

  it('with an outbox that flushes off-thread, tells delivery at the commit but resolves only once the flush is done, and rejects if it fails', async () => {
    const { outbox } = setup();
    const flushes: { resolve: () => void; reject: (error: Error) => void }[] = [];
    const deferred = { add: outbox.add.bind(outbox), sync: () => new Promise<void>((resolve, reject) => flushes.push({ resolve, reject })) };
    let told = 0;
    const sink = new OutboxAlertSink({ outbox: deferred, stored: () => (told += 1), prefix: 'c5', siteId: 'site-a', clock: new ManualClock(0) });
    let settled = false;
    const stored = Promise.all([sink.publish(makeAlert()), sink.publish(makeAlert())]).then(() => (settled = true));
    await vi.waitFor(() => expect(flushes).toHaveLength(1), { timeout: 1000 });
    expect(told).toBe(1);
    expect(outbox.stats().messages).toBe(2);
    expect(settled).toBe(false);
    flushes[0]!.resolve();
    await stored;
    const lost = sink.publish(makeAlert());
    await vi.waitFor(() => expect(flushes).toHaveLength(2), { timeout: 1000 });
    flushes[1]!.reject(new Error('EIO on flush'));
    await expect(lost).rejects.toThrow('EIO on flush');
  });

  it('stores what is queued on forceFlush() and stop(), without waiting for the end of the run', async () => {
    const { outbox, sink } = setup();
    const first = sink.publish(makeAlert());
    sink.forceFlush();
    expect(outbox.stats().messages).toBe(1);
    const second = sink.publish(makeAlert());
    await sink.stop();
    expect(outbox.stats().messages).toBe(2);
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
  });

  it('rejects every alert of a group the outbox could not store, naming the cause', async () => {
    const { told } = setup();
    const failing = {
      add: () => {
        throw new Error('disk on fire');
      },
    };
    const sink = new OutboxAlertSink({ outbox: failing, stored: (drops) => told.push(drops), prefix: 'c5', siteId: 'site-a', clock: new ManualClock(0) });
    const results = await Promise.allSettled([sink.publish(makeAlert()), sink.publish(makeAlert())]);
    expect(results.map((result) => result.status === 'rejected' && (result.reason as Error).message)).toEqual(['disk on fire', 'disk on fire']);
    expect(told).toEqual([]);
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
    await expect(sink.publish(makeAlert({ siteId: 'site-b' }))).rejects.toMatchObject({
      code: 'invalid_alert',
      message: expect.stringContaining('is for site site-b, this agent is site-a'),
    });
    expect(outbox.stats().messages).toBe(0);
  });

  it('rejects an alert whose seq does not come after the last stored one', async () => {
    const { sink } = setup();
    const alert = makeAlert();
    await sink.publish(alert);
    await expect(sink.publish({ ...makeAlert(), seq: alert.seq })).rejects.toMatchObject({ code: 'outbox_seq' });
    // a malformed alert is refused alone: the valid one published with it is still stored
    const valid = makeAlert();
    const results = await Promise.allSettled([sink.publish({ ...makeAlert(), image: 'x' } as never), sink.publish(valid)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled']);
  });

  it('refuses alerts after stop(), which is idempotent', async () => {
    const { sink } = setup();
    await sink.stop();
    await sink.stop();
    await expect(sink.publish(makeAlert())).rejects.toMatchObject({ code: 'sink_closed' });
  });
});

describe('alertProperties', () => {
  it('marks alerts as JSON of schema c5.alert.v1, expiring when the config says', () => {
    expect(alertProperties(600)).toEqual({
      contentType: 'application/json',
      payloadFormatIndicator: true,
      userProperties: { schema: 'c5.alert.v1' },
      messageExpiryInterval: 600,
    });
    expect(alertProperties(undefined)).not.toHaveProperty('messageExpiryInterval');
  });
});
