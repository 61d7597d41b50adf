import { describe, expect, it } from 'vitest';
import { parsePushReport, wavesRun } from '../../../../bench/fleetSim/pushReport.js';

/** The simulator's reading of `fleet push --json`: hand-written reports, as the design document gives their shape. */

const wave = (
  index: number,
  sites: string[],
  verdicts: { applied?: string[]; failed?: { siteId: string; status: string; reason: string }[]; seconds?: number } = {},
) => ({
  index,
  state: verdicts.seconds === undefined ? 'planned' : 'completed',
  sites,
  applied: verdicts.applied ?? [],
  failed: verdicts.failed ?? [],
  pendingOffline: [],
  ...(verdicts.seconds === undefined ? {} : { seconds: verdicts.seconds }),
});

describe('parsePushReport', () => {
  it('reads a halted rollout, and only the canary counts as run', () => {
    const text = JSON.stringify({
      rolloutId: '20261205T053012Z-3fa2c1',
      version: 7,
      sites: 3,
      untouched: [],
      waves: [wave(1, ['a'], { failed: [{ siteId: 'a', status: 'rolled_back', reason: 'probation_failed' }], seconds: 1.5 }), wave(2, ['b', 'c'])],
      halted: true,
      ignoredMessages: 0,
    });
    const report = parsePushReport(text);
    expect(report.halted).toBe(true);
    expect(report.version).toBe(7);
    expect(wavesRun(report).map((w) => w.index)).toEqual([1]);
    expect(report.waves[0]!.failed[0]).toMatchObject({ siteId: 'a', reason: 'probation_failed' });
  });

  it('refuses what is not a report, quoting the start of it', () => {
    expect(() => parsePushReport('0.1.0\n')).toThrow(/did not print one JSON document: "0\.1\.0/);
    expect(() => parsePushReport(JSON.stringify({ rolloutId: 'r', version: 2, waves: [{ index: 1, sites: [] }], halted: false }))).toThrow(/waves\.0\.applied/);
  });
});
