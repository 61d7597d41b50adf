import { describe, expect, it } from 'vitest';
import { RateLimitedLog } from '../../../../agent/observe/RateLimitedLog.js';
import { ManualClock } from '../../../helpers/manualClock.js';

/** Admits `count` lines of `key`, one every `stepMs`; the suppressed counts of those let through. */
function feed(log: RateLimitedLog, clock: ManualClock, key: string, count: number, stepMs: number): number[] {
  const admitted: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const line = log.admit(key);
    if (line) admitted.push(line.suppressed);
    clock.advance(stepMs);
  }
  return admitted;
}

describe('RateLimitedLog', () => {
  it('lets one line per key per interval through, the next one saying how many were dropped', () => {
    const clock = new ManualClock();
    const log = new RateLimitedLog({ clock, intervalMs: 10_000 });
    // 35 lines 1 s apart over 35 s: lines at 0, 10, 20 and 30 s pass; 9 dropped before each later one.
    expect(feed(log, clock, 'a', 35, 1_000)).toEqual([0, 9, 9, 9]);
    // the 4 dropped after the 30 s line wait for the next line let through
    clock.advance(10_000);
    expect(log.admit('a')).toEqual({ suppressed: 4 });
  });

  it('keeps each key on its own budget', () => {
    const clock = new ManualClock();
    const log = new RateLimitedLog({ clock, intervalMs: 60_000 });
    expect(log.admit('model')).toEqual({ suppressed: 0 });
    expect(log.admit('model')).toBeUndefined();
    expect(log.admit('queue')).toEqual({ suppressed: 0 });
    expect(log.admit('queue')).toBeUndefined();
    expect(log.admit('queue')).toBeUndefined();
    clock.advance(60_000);
    expect(log.admit('model')).toEqual({ suppressed: 1 });
    expect(log.admit('queue')).toEqual({ suppressed: 2 });
  });

  it('admits several lines per interval when asked, within a fixed window', () => {
    const clock = new ManualClock();
    const log = new RateLimitedLog({ clock, intervalMs: 1_000, linesPerInterval: 3 });
    // 12 lines 100 ms apart: 0, 100 and 200 ms pass, 300-900 ms are dropped, 1000 and 1100 ms pass.
    expect(feed(log, clock, 'k', 12, 100)).toEqual([0, 0, 0, 7, 0]);
  });

  it('hands the dropped count over once, and reset() lets the next line through at once', () => {
    const clock = new ManualClock();
    const log = new RateLimitedLog({ clock, intervalMs: 10_000 });
    expect(log.takeSuppressed('never-seen')).toBe(0);
    feed(log, clock, 'k', 5, 1);
    expect(log.takeSuppressed('k')).toBe(4);
    expect(log.takeSuppressed('k')).toBe(0);
    // the window is kept: the budget stays spent until it turns
    expect(log.admit('k')).toBeUndefined();
    log.reset('k');
    expect(log.admit('k')).toEqual({ suppressed: 0 });
  });
});
