import { describe, expect, it } from 'vitest';
import { BrokerFailover } from '../../../../agent/mqtt/BrokerFailover.js';
import { brokerEndpoint } from '../../../../agent/mqtt/mqttWire.js';
import { ManualClock } from '../../../helpers/manualClock.js';

function failover(urls = ['mqtt://a', 'mqtt://b', 'mqtt://c']) {
  const clock = new ManualClock();
  const retries: number[] = [];
  const broker = new BrokerFailover({
    endpoints: urls.map((url) => brokerEndpoint(url)),
    config: { reconnectMinSeconds: 1, reconnectMaxSeconds: 4 },
    clock,
    // No jitter: the delay is the full capped value.
    random: () => 1,
  });
  const schedule = () => broker.schedule(() => retries.push(clock.now()));
  return { broker, clock, retries, schedule };
}

describe('BrokerFailover', () => {
  it('moves to the next URL only after a failed attempt, wrapping around', () => {
    const { broker } = failover();
    expect(broker.current?.url).toBe('mqtt://a');
    broker.attemptFailed();
    expect(broker.current?.url).toBe('mqtt://b');
    broker.attemptFailed();
    broker.attemptFailed();
    expect(broker.current?.url).toBe('mqtt://a');
  });

  it('doubles the delay per consecutive failure up to the cap, and starts over after a connection', () => {
    const { broker, clock, schedule } = failover();
    const delays: (number | null)[] = [];
    for (let i = 0; i < 4; i += 1) {
      delays.push(schedule());
      clock.advance(10_000);
    }
    expect(delays).toEqual([1000, 2000, 4000, 4000]);
    expect(broker.attempt).toBe(5);
    broker.connected();
    expect(broker.attempt).toBe(1);
    expect(schedule()).toBe(1000);
  });

  it('keeps one retry pending at a time and runs it after its delay', () => {
    const { clock, retries, schedule } = failover();
    const start = clock.now();
    expect(schedule()).toBe(1000);
    expect(schedule()).toBeNull();
    clock.advance(999);
    expect(retries).toEqual([]);
    clock.advance(1);
    expect(retries).toEqual([start + 1000]);
    expect(schedule()).toBe(2000);
  });

  it('drops a pending retry on cancel', () => {
    const { broker, clock, retries, schedule } = failover();
    schedule();
    broker.cancel();
    clock.advance(10_000);
    expect(retries).toEqual([]);
    expect(clock.pendingCount).toBe(0);
  });
});
