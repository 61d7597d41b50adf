import { describe, expect, it } from 'vitest';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { createAgentMetrics } from '../../../../agent/observe/metrics.js';
import { ConnectionSignal } from '../../../../agent/mqtt/ConnectionSignal.js';
import { PublishError } from '../../../../pipelines/errors.js';
import { ManualClock } from '../../../helpers/manualClock.js';

function signal(lastError: string | null = null) {
  const clock = new ManualClock();
  const logLines: string[] = [];
  const log = createRootLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
  const metrics = createAgentMetrics({ siteId: 'site-a', version: '1', configVersion: 1, defaultMetrics: false });
  const connection = new ConnectionSignal({ clock, log, metrics, lastError: () => lastError });
  const gauge = async () => (await metrics.mqttConnected.get()).values[0]?.value;
  return { connection, clock, logLines, gauge };
}

describe('ConnectionSignal', () => {
  it('tells listeners and the gauge about changes only', async () => {
    const { connection, gauge } = signal();
    const heard: boolean[] = [];
    const off = connection.onChange((up) => heard.push(up));
    connection.set(true);
    connection.set(true);
    expect(connection.connected).toBe(true);
    expect(await gauge()).toBe(1);
    connection.set(false);
    expect(await gauge()).toBe(0);
    off();
    connection.set(true);
    expect(heard).toEqual([true, false]);
  });

  it('logs a listener that throws and still tells the others', () => {
    const { connection, logLines } = signal();
    const heard: boolean[] = [];
    connection.onChange(() => {
      throw new Error('listener broke');
    });
    connection.onChange((up) => heard.push(up));
    connection.set(true);
    expect(heard).toEqual([true]);
    expect(logLines.some((line) => line.includes('connection listener threw') && line.includes('listener broke'))).toBe(true);
  });

  it('resolves a wait on the next connection, at once when already connected', async () => {
    const { connection, clock } = signal();
    const waited = connection.whenConnected(5_000);
    clock.advance(1_000);
    connection.set(true);
    await expect(waited).resolves.toBeUndefined();
    expect(clock.pendingCount).toBe(0);
    await expect(connection.whenConnected(5_000)).resolves.toBeUndefined();
  });

  it('rejects a wait with connect_timeout naming the last error', async () => {
    const { connection, clock } = signal('not_authorized (0x87)');
    const waited = connection.whenConnected(5_000);
    clock.advance(5_000);
    const error = await waited.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ code: 'connect_timeout', message: expect.stringContaining('not_authorized (0x87)') as unknown });
  });
});
