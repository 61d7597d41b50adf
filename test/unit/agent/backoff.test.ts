import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../../agent/backoff.js';

describe('backoffDelayMs', () => {
  it('doubles from the minimum up to the maximum (jitter at its top)', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(attempt, 1_000, 30_000, () => 1));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('jitters between half and all of the capped delay', () => {
    expect(backoffDelayMs(2, 1_000, 30_000, () => 0)).toBe(2_000);
    expect(backoffDelayMs(2, 1_000, 30_000, () => 0.5)).toBe(3_000);
    fc.assert(
      fc.property(fc.nat(100), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const ceiling = Math.min(30_000, 500 * 2 ** Math.min(attempt, 31));
        const delay = backoffDelayMs(attempt, 500, 30_000, () => r);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(delay).toBeLessThanOrEqual(ceiling);
      }),
    );
  });

  it('takes a smaller jitter share: a decoder restart waits between 80% and all of the capped delay', () => {
    expect(backoffDelayMs(2, 1_000, 30_000, () => 1, 0.2)).toBe(4_000);
    expect(backoffDelayMs(2, 1_000, 30_000, () => 0.5, 0.2)).toBe(3_600);
    expect(backoffDelayMs(2, 1_000, 30_000, () => 0, 0.2)).toBe(3_200);
    expect(backoffDelayMs(2, 1_000, 30_000, () => 0, 0)).toBe(4_000);
  });

  it('stays finite for huge attempt counts and tolerates a max below the min', () => {
    expect(backoffDelayMs(10_000, 1_000, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelayMs(3, 5_000, 1_000, () => 1)).toBe(5_000);
  });
});
