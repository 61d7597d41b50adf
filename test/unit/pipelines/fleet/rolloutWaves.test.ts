import { describe, expect, it } from 'vitest';
import { allowedFailures, parseShare, parseWaveShares, planWaves, shareOf } from '../../../../pipelines/fleet/rolloutWaves.js';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `s${i}`);
const sizes = (waves: readonly unknown[][]): number[] => waves.map((wave) => wave.length);

describe('rolloutWaves', () => {
  it('the defaults over 2,000 sites: 1 % canary, then 10 %, 50 %, 100 % done: 20, 180, 800, 1,000', () => {
    expect(sizes(planWaves(ids(2_000), parseShare('1%', '--canary'), parseWaveShares('10%,50%,100%')))).toEqual([20, 180, 800, 1_000]);
  });

  it('14,000 sites: 10 % is exactly 1,400 (no rounding up of binary fractions)', () => {
    expect(shareOf({ kind: 'percent', percent: 10 }, 14_000)).toBe(1_400);
    expect(sizes(planWaves(ids(14_000), parseShare('1%', '--canary'), parseWaveShares('10%,50%,100%')))).toEqual([140, 1_260, 5_600, 7_000]);
  });

  it('a percentage rounds up, so a small fleet still gets a one-site canary; a count is capped at the fleet', () => {
    expect(sizes(planWaves(ids(7), parseShare('1%', '--canary'), parseWaveShares('50%')))).toEqual([1, 3, 3]);
    expect(sizes(planWaves(ids(3), parseShare('10', '--canary'), parseWaveShares('100%')))).toEqual([3]);
  });

  it('a share already reached by the canary adds no empty wave; every site is in one wave, in order', () => {
    const waves = planWaves(ids(10), parseShare('6', '--canary'), parseWaveShares('50%,60%,100%'));
    expect(sizes(waves)).toEqual([6, 4]);
    expect(waves.flat()).toEqual(ids(10));
  });

  it('100% is added when the waves stop short of it', () => {
    expect(parseWaveShares('10%,50%')).toEqual([10, 50, 100]);
  });

  it('refuses falling waves, counts in --waves, 0 and over 100 %', () => {
    expect(() => parseWaveShares('50%,10%')).toThrow(/above the one before/);
    expect(() => parseWaveShares('10,50%')).toThrow(/cumulative percentage/);
    expect(() => parseShare('0', '--canary')).toThrow(/--canary/);
    expect(() => parseShare('101%', '--canary')).toThrow(/at most 100/);
    expect(() => parseShare('five', '--canary')).toThrow(/expected a count/);
  });

  it('allowed failures: a count as given, a percentage of the wave rounded down', () => {
    expect(allowedFailures(parseShare('0', '--max-failures', { allowZero: true }), 200)).toBe(0);
    expect(allowedFailures(parseShare('3', '--max-failures'), 200)).toBe(3);
    // 5 % of 30 is 1.5: one failure is allowed, two are not
    expect(allowedFailures(parseShare('5%', '--max-failures'), 30)).toBe(1);
    expect(allowedFailures(parseShare('5%', '--max-failures'), 200)).toBe(10);
  });

  it('no sites, no waves', () => {
    expect(planWaves([], parseShare('1%', '--canary'), [100])).toEqual([]);
  });
});
