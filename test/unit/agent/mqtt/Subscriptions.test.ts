import { describe, expect, it } from 'vitest';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { Subscriptions } from '../../../../agent/mqtt/Subscriptions.js';

// Without a connection nothing goes on the wire: this covers the table and dispatch. SUBSCRIBE on
// CONNACK is covered against Mosquitto (test/integration/fleet/pushSubscription.test.ts).
function subscriptions() {
  const logLines: string[] = [];
  const log = createRootLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
  return { table: new Subscriptions({ log, connectedClient: () => null }), logLines };
}

describe('Subscriptions', () => {
  it('hands a message to the handler of exactly its topic', () => {
    const { table } = subscriptions();
    const got: string[] = [];
    table.add('c5/site-a/config/push', 1, (payload, topic) => got.push(`${topic} ${payload.toString()}`));
    table.dispatch('c5/site-a/config/push', Buffer.from('v2'));
    table.dispatch('c5/site-b/config/push', Buffer.from('other site'));
    expect(got).toEqual(['c5/site-a/config/push v2']);
  });

  it('lets a later handler replace an earlier one, whose unsubscribe then leaves it in place', () => {
    const { table } = subscriptions();
    const got: string[] = [];
    const offFirst = table.add('t', 1, () => got.push('first'));
    const offSecond = table.add('t', 0, () => got.push('second'));
    offFirst();
    table.dispatch('t', Buffer.from(''));
    offSecond();
    table.dispatch('t', Buffer.from(''));
    expect(got).toEqual(['second']);
  });

  it('logs a handler that throws instead of passing the error on', () => {
    const { table, logLines } = subscriptions();
    table.add('t', 1, () => {
      throw new Error('bad envelope');
    });
    expect(() => table.dispatch('t', Buffer.from('x'))).not.toThrow();
    expect(logLines.some((line) => line.includes('message handler threw') && line.includes('bad envelope'))).toBe(true);
  });
});
