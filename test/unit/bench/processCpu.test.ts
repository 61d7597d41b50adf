import { describe, expect, it } from 'vitest';
import type { ProcStat } from '../../../agent/capacity/processCpuSeconds.js';
import { cpuPerSecond } from '../../../bench/processCpu.js';

describe('cpuPerSecond', () => {
  const stat = (cpuSeconds: number): ProcStat => ({ ppid: 1, cpuSeconds });

  it('is the CPU time spent over the window, per second of wall time', () => {
    // 1.5 CPU-s spent in 10 s
    const rates = cpuPerSecond(new Map([[1, stat(0.5)]]), new Map([[1, stat(2)]]), 10);
    expect(rates.get(1)).toBeCloseTo(0.15, 10);
  });

  it('counts a process started during the window from zero and leaves out one that ended', () => {
    const rates = cpuPerSecond(new Map([[2, stat(5)]]), new Map([[3, stat(0.4)]]), 2);
    expect([...rates.keys()]).toEqual([3]);
    expect(rates.get(3)).toBeCloseTo(0.2, 10);
  });
});
