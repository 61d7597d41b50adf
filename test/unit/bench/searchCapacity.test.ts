import { describe, expect, it } from 'vitest';
import { nearMiss, runTrialWithRetry, searchCapacity, type TrialResult } from '../../../bench/capacity.js';

/** A machine that serves up to `limit` cameras; every trial is recorded. */
function machine(limit: number) {
  const tried: number[] = [];
  const trial = async (cameras: number): Promise<TrialResult> => {
    tried.push(cameras);
    return { cameras, pass: cameras <= limit } as TrialResult;
  };
  return { tried, trial };
}

describe('searchCapacity', () => {
  it.each([
    [11, 13, 5],
    [11, 4, 7],
    [11, 11, 4],
    [3, 40, 11],
    [5, 0, 5],
  ])('from a guess of %i finds a limit of %i exactly, in at most %i trials', async (start, limit, most) => {
    const { tried, trial } = machine(limit);
    const result = await searchCapacity({ start, max: 64, deadline: Date.now() + 60_000, trial });
    expect(result.capacity).toBe(limit);
    expect(result.exact).toBe(true);
    expect(result.firstFailure).toBe(limit + 1);
    expect(tried.length).toBeLessThanOrEqual(most);
    expect(new Set(tried).size).toBe(tried.length);
  });

  it('reports bounds, not an answer, when the time budget runs out', async () => {
    const { trial } = machine(30);
    const result = await searchCapacity({ start: 2, max: 64, deadline: Date.now() - 1, trial });
    expect(result).toMatchObject({ capacity: 0, exact: false, trials: [] });
  });
});

describe('runTrialWithRetry', () => {
  it('counts as a near miss only a failure under 5 % dropped', () => {
    expect(nearMiss({ pass: false, dropRatio: 0.012 } as TrialResult)).toBe(true);
    expect(nearMiss({ pass: false, dropRatio: 0.2 } as TrialResult)).toBe(false);
    expect(nearMiss({ pass: true, dropRatio: 0 } as TrialResult)).toBe(false);
  });

  const result = (pass: boolean, dropRatio: number) => ({ cameras: 12, pass, dropRatio }) as TrialResult;

  it('runs a pass once; reruns a failure once, keeping the first run beside the second', async () => {
    const runs = [result(false, 0.02), result(true, 0)];
    let calls = 0;
    const failures: TrialResult[] = [];
    expect(
      await runTrialWithRetry(
        async () => result(true, 0),
        () => true,
      ),
    ).toEqual(result(true, 0));
    const retried = await runTrialWithRetry(
      async () => runs[calls++]!,
      () => true,
      (first) => failures.push(first),
    );
    expect(calls).toBe(2);
    expect(retried).toEqual({ ...result(true, 0), firstAttempt: result(false, 0.02) });
    expect(failures).toEqual([result(false, 0.02)]);
  });

  it('keeps a failure when the rerun fails too, or when there is no time for one', async () => {
    let calls = 0;
    const failing = async (): Promise<TrialResult> => (calls++, result(false, 0.05));
    expect(await runTrialWithRetry(failing, () => true)).toMatchObject({ pass: false, firstAttempt: { pass: false } });
    expect(calls).toBe(2);
    expect(await runTrialWithRetry(failing, () => false)).toEqual(result(false, 0.05));
    expect(calls).toBe(3);
  });
});
