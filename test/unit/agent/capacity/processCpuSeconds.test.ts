import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseProcStat, processCpuSeconds } from '../../../../agent/capacity/processCpuSeconds.js';

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

  it('parses ppid (field 4) and CPU time, not the children’s (cutime, cstime, fields 16 and 17)', () => {
    const line = '4242 (a) S 99 (b) S 17 4242 4242 0 -1 4194560 1200 0 3 0 250 50 7000 9000 20 0 12 0 5000 1000000 2000';
    expect(parseProcStat(line)).toEqual({ ppid: 17, cpuSeconds: 3 });
  });

  it('refuses a line that is not a stat line', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('4242 ffmpeg S 1')).toBeUndefined();
    expect(parseProcStat('4242 (ffmpeg) S x 1 1')).toBeUndefined();
    expect(parseProcStat('4242 (ffmpeg) S 1 4242')).toBeUndefined();
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
