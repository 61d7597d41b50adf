import { describe, expect, it } from 'vitest';
import { OutgoingQueue, type AckOutcome, type OutgoingMessage } from '../../../../agent/mqtt/OutgoingQueue.js';

function harness(window = 2) {
  const sent: { message: OutgoingMessage; done: (outcome: AckOutcome) => void }[] = [];
  const state = { window };
  const queue = new OutgoingQueue({ window: () => state.window, send: (message, done) => sent.push({ message, done }) });
  const msg = (topic: string, internal = false): OutgoingMessage => ({ topic, payload: topic, retain: false, properties: undefined, internal });
  return { queue, sent, state, msg };
}

describe('OutgoingQueue', () => {
  it('holds messages while the window is closed and sends them in order, at most `window` in flight', async () => {
    const { queue, sent, state, msg } = harness(0);
    const results: string[] = [];
    for (const topic of ['a', 'b', 'c']) void queue.add(msg(topic)).then(() => results.push(topic));
    expect(sent).toHaveLength(0);
    expect(queue.heldCount).toBe(3);
    state.window = 2;
    queue.pump();
    expect(sent.map((s) => s.message.topic)).toEqual(['a', 'b']);
    sent[0]?.done({ ok: true });
    expect(sent.map((s) => s.message.topic)).toEqual(['a', 'b', 'c']);
    sent[1]?.done({ ok: true });
    sent[2]?.done({ ok: true });
    await Promise.resolve();
    expect(results).toEqual(['a', 'b', 'c']);
    expect(queue.isEmpty).toBe(true);
  });

  it('puts a front message ahead of the backlog and re-sends a retry first', () => {
    const { queue, sent, state, msg } = harness(0);
    void queue.add(msg('alert'));
    void queue.add(msg('birth', true), true);
    state.window = 1;
    queue.pump();
    expect(sent[0]?.message.topic).toBe('birth');
    sent[0]?.done({ retry: true });
    expect(sent[1]?.message.topic).toBe('birth');
  });

  it('counts only non-internal messages against the bound, until they settle', async () => {
    const { queue, sent, msg } = harness(5);
    const failing = queue.add(msg('x'));
    void queue.add(msg('status', true));
    expect(queue.userPending).toBe(1);
    const error = new Error('refused');
    sent[0]?.done({ ok: false, error });
    await expect(failing).rejects.toBe(error);
    expect(queue.userPending).toBe(0);
  });

  it('drops held internal messages, resolving them, and fails everything else on failAll', async () => {
    const { queue, sent, state, msg } = harness(1);
    const inflight = queue.add(msg('a'));
    state.window = 0;
    const held = queue.add(msg('b'));
    const status = queue.add(msg('status', true));
    queue.dropHeldInternal();
    await expect(status).resolves.toBeUndefined();
    expect(queue.failAll((m) => new Error(`lost ${m.topic}`))).toBe(2);
    await expect(inflight).rejects.toThrow('lost a');
    await expect(held).rejects.toThrow('lost b');
    // A late acknowledgement from MQTT.js changes nothing once settled.
    sent[0]?.done({ ok: true });
    expect(queue.userPending).toBe(0);
  });
});
