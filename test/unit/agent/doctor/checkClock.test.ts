import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clockCheck } from '../../../../agent/doctor/checkClock.js';
import { doctorContext } from '../../../helpers/doctorContext.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A PATH holding only these fake programs (shell scripts), so the real box's tools play no part. */
function fakePath(programs: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'c5-doctor-clock-'));
  dirs.push(dir);
  for (const [name, script] of Object.entries(programs)) {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${script}\n`);
    chmodSync(path, 0o755);
  }
  return dir;
}

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

async function runClock(programs: Record<string, string>, now = NOW): Promise<{ status: string; reason: string }> {
  const check = clockCheck(doctorContext({ env: { PATH: fakePath(programs) } }), { now: () => now });
  return await check.run(new AbortController().signal);
}

/** `chronyc tracking`, printed with the shell's own printf: the fake PATH has no cat. */
const CHRONY_TRACKING = (leap: string): string =>
  `printf '%s\\n' 'Reference ID    : C0A80001 (ntp.example)' 'Stratum         : 3' 'System time     : 0.000012345 seconds slow of NTP time' 'Leap status     : ${leap}'`;

describe('clock check', () => {
  it('passes on timedatectl NTPSynchronized=yes and fails on no', async () => {
    expect(await runClock({ timedatectl: 'echo yes' })).toEqual({ status: 'pass', reason: 'NTP synchronised (timedatectl)' });
    expect(await runClock({ timedatectl: 'echo no' })).toMatchObject({
      status: 'fail',
      reason: expect.stringMatching(/^not synchronised to NTP \(timedatectl/) as unknown,
    });
  });

  it('asks chronyc when timedatectl cannot answer (no systemd)', async () => {
    const noSystemd = 'echo "System has not been booted with systemd as init system (PID 1). Can\'t operate." >&2; exit 1';
    expect(await runClock({ timedatectl: noSystemd, chronyc: CHRONY_TRACKING('Normal') })).toEqual({
      status: 'pass',
      reason: 'NTP synchronised (chronyc: 0.000012345 seconds slow of NTP time)',
    });
    expect(await runClock({ chronyc: CHRONY_TRACKING('Not synchronised') })).toMatchObject({ status: 'fail' });
  });

  it('warns, never passes, when neither tool can tell', async () => {
    const result = await runClock({ timedatectl: 'echo "Failed to connect to bus: Host is down" >&2; exit 1' });
    expect(result).toEqual({
      status: 'warn',
      reason:
        'cannot tell whether the clock is synchronised (timedatectl: Failed to connect to bus: Host is down; chronyc: not installed); it reads 2026-12-04T12:00:00.000Z',
    });
    expect((await runClock({})).status).toBe('warn');
  });

  it('fails a clock that reads a time before 2026 whatever the tools say', async () => {
    expect(await runClock({ timedatectl: 'echo yes' }, 0)).toMatchObject({
      status: 'fail',
      reason: expect.stringMatching(/^the clock reads 1970-01-01T00:00:00.000Z/) as unknown,
    });
  });
});
