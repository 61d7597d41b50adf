import { describe, expect, it } from 'vitest';
import type { UnverifiedReason } from '../../../../agent/fleet/checkPush.js';
import { UNVERIFIED_REPORT_INTERVAL_MS, UnverifiedPushLimiter } from '../../../../agent/fleet/UnverifiedPushLimiter.js';
import type { AuditEntry } from '../../../../agent/audit/auditRecord.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { createAgentMetrics } from '../../../../agent/observe/metrics.js';
import { ManualClock } from '../../../helpers/manualClock.js';

const START = Date.parse('2026-03-01T12:00:00Z');
const MINUTE = 60_000;

function setup() {
  const clock = new ManualClock(START);
  const metrics = createAgentMetrics({ siteId: 'site-a', version: 't', defaultMetrics: false });
  const audit: AuditEntry[] = [];
  const lines: Record<string, unknown>[] = [];
  const log = createRootLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  const limiter = new UnverifiedPushLimiter({ clock, log, counter: metrics.configPushUnverifiedTotal, record: (entry) => void audit.push(entry) });
  const refuse = (reason: UnverifiedReason, message = `refused: ${reason}`): void => limiter.refuse({ ok: false, reason, message }, 'mqtt');
  const counted = async (reason?: string): Promise<number> => {
    const { values } = await metrics.configPushUnverifiedTotal.get();
    return values.filter((value) => reason === undefined || value.labels['reason'] === reason).reduce((sum, value) => sum + value.value, 0);
  };
  return { clock, audit, lines, limiter, refuse, counted, metrics };
}

describe('UnverifiedPushLimiter', () => {
  it('reports once a minute: the first refusal at once, the rest of the minute summed at its end', async () => {
    const { clock, audit, lines, refuse, counted } = setup();
    expect(UNVERIFIED_REPORT_INTERVAL_MS).toBe(MINUTE);
    refuse('bad_signature');
    expect(audit).toEqual([
      { type: 'config_push_unverified', count: 1, byReason: { bad_signature: 1 }, firstAt: '2026-03-01T12:00:00.000Z', lastAt: '2026-03-01T12:00:00.000Z' },
    ]);
    // 500 more within the minute, one every 100 ms: 300 unknown keys, 200 oversized
    for (let i = 0; i < 500; i += 1) {
      clock.advance(100);
      refuse(i % 5 < 3 ? 'unknown_key' : 'too_large');
    }
    expect(audit).toHaveLength(1);
    expect(lines).toHaveLength(1);
    expect(await counted()).toBe(501);
    expect(await counted('unknown_key')).toBe(300);

    clock.advance(MINUTE - 500 * 100);
    expect(audit).toHaveLength(2);
    expect(audit[1]).toEqual({
      type: 'config_push_unverified',
      count: 500,
      byReason: { unknown_key: 300, too_large: 200 },
      firstAt: '2026-03-01T12:00:00.100Z',
      lastAt: '2026-03-01T12:00:50.000Z',
    });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({
      level: 40,
      msg: 'config pushes refused before a signature held',
      count: 500,
      reason: 'too_large',
      error: 'refused: too_large',
      origin: 'mqtt',
    });
  });

  it('writes nothing in an interval without refusals, and reports at once again after a quiet one', () => {
    const { clock, audit, refuse } = setup();
    refuse('malformed_envelope');
    clock.advance(10 * MINUTE);
    expect(audit).toHaveLength(1);
    refuse('malformed_envelope');
    expect(audit).toHaveLength(2);
    expect(audit[1]).toMatchObject({ count: 1, firstAt: '2026-03-01T12:10:00.000Z' });
  });

  it('keeps the reports a full interval apart under a steady flood', () => {
    const { clock, audit, refuse } = setup();
    // one refusal a second for ten minutes
    for (let second = 0; second < 600; second += 1) {
      refuse('bad_signature');
      clock.advance(1_000);
    }
    const times = audit.map((entry) => Date.parse(entry['lastAt'] as string));
    expect(audit.length).toBeLessThanOrEqual(11);
    expect(audit.reduce((sum, entry) => sum + (entry['count'] as number), 0)).toBe(600);
    // a report sums refusals up to its own time: consecutive reports' last refusals lie at least ~an interval apart
    for (let i = 2; i < times.length; i += 1) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(MINUTE - 1_000);
  });

  it('reports what is summed at once when flushed, so a stop loses no count', () => {
    const { clock, audit, limiter, refuse } = setup();
    refuse('key_expired');
    clock.advance(1_000);
    refuse('unknown_key');
    refuse('unknown_key');
    limiter.flush();
    expect(audit.map((entry) => entry['count'])).toEqual([1, 2]);
    clock.advance(10 * MINUTE);
    expect(audit).toHaveLength(2);
  });

  it('has a zero series for every reason before the first refusal', async () => {
    const { metrics } = setup();
    const text = await metrics.registry.metrics();
    for (const reason of [
      'too_large',
      'malformed_envelope',
      'unknown_key',
      'key_expired',
      'bad_signature',
      'trusted_keys_unreadable',
      'trusted_keys_invalid',
    ]) {
      expect(text).toContain(`c5_agent_config_push_unverified_total{reason="${reason}"} 0`);
    }
  });
});
