import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processCpuSeconds } from '../../../../agent/capacity/processCpuSeconds.js';

const root = mkdtempSync(join(tmpdir(), 'c5-proc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fakeStat(pid: number, text: string): void {
  mkdirSync(join(root, String(pid)), { recursive: true });
  writeFileSync(join(root, String(pid), 'stat'), text);
}

describe('processCpuSeconds', () => {
  it('reads utime + stime (fields 14 and 15) in ticks of 1/100 s, past a command name with spaces and parentheses', () => {
    // proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
    fakeStat(42, '42 (ff mpeg) (x)) R 1 42 42 0 -1 4194304 100 0 0 0 250 75 0 0 20 0 3 0 1000 0 0\n');
    expect(processCpuSeconds(42, root)).toBeCloseTo(3.25, 9);
  });

  it('is undefined for a process that is gone or a pid that is no pid', () => {
    expect(processCpuSeconds(4_000_000, root)).toBeUndefined();
    expect(processCpuSeconds(-1)).toBeUndefined();
    expect(processCpuSeconds(Number.NaN)).toBeUndefined();
  });

  it('reads this process on the real /proc: a busy loop shows up as at least part of the CPU time it spent', () => {
    const before = processCpuSeconds(process.pid)!;
    const usageBefore = process.cpuUsage();
    const until = Date.now() + 300;
    let spin = 0;
    while (Date.now() < until) spin += 1;
    const spent = process.cpuUsage(usageBefore);
    const after = processCpuSeconds(process.pid)!;
    expect(spin).toBeGreaterThan(0);
    // /proc counts in 10 ms ticks: within 30 ms of what Node measured itself
    expect(Math.abs(after - before - (spent.user + spent.system) / 1e6)).toBeLessThan(0.03);
  });
});
