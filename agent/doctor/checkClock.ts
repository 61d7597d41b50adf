import { findOnPath } from '../ingest/resolveFfmpegPath.js';
import { fail, pass, warn, type CheckOutcome, type DoctorCheck } from './DoctorCheck.js';
import type { DoctorContext } from './DoctorContext.js';
import { runTool } from './runTool.js';

/** A clock before this is certainly wrong (a board without a real-time clock boots in 1970). */
export const EARLIEST_PLAUSIBLE_TIME = Date.UTC(2026, 0, 1);

export interface ClockCheckOptions {
  /** default Date.now */
  readonly now?: () => number;
}

/**
 * Alert times, audit records, checkpoint signatures and TLS certificate checks all trust the
 * box's clock. systemd's `timedatectl` answers where systemd runs, `chronyc tracking` where chrony
 * does; when neither can tell, the row warns so, rather than passing a clock nobody checked.
 */
export function clockCheck(context: DoctorContext, options: ClockCheckOptions = {}): DoctorCheck {
  return {
    id: 'clock',
    title: 'clock in sync',
    family: 'clock',
    timeoutMs: context.timeoutMs,
    run: (signal) => checkClock(context.env, signal, options.now ?? Date.now),
  };
}

async function checkClock(env: NodeJS.ProcessEnv, signal: AbortSignal, now: () => number): Promise<CheckOutcome> {
  const time = now();
  if (time < EARLIEST_PLAUSIBLE_TIME) {
    return fail(
      `the clock reads ${new Date(time).toISOString()}, before ${new Date(EARLIEST_PLAUSIBLE_TIME).toISOString().slice(0, 10)}: set it and enable NTP`,
    );
  }
  const notes: string[] = [];
  const timedatectl = findOnPath('timedatectl', env['PATH']);
  if (timedatectl === undefined) notes.push('timedatectl: not installed');
  else {
    const run = await runTool(timedatectl, ['show', '-p', 'NTPSynchronized', '--value'], { signal, env, maxStdoutBytes: 256 });
    const answer = run.stdout.trim();
    if (run.exitCode === 0 && answer === 'yes') return pass('NTP synchronised (timedatectl)');
    if (run.exitCode === 0 && answer === 'no')
      return fail('not synchronised to NTP (timedatectl NTPSynchronized=no): enable and check systemd-timesyncd or chrony');
    notes.push(`timedatectl: ${firstLine(run.stderr) || `exited with code ${String(run.exitCode ?? run.signal)}`}`);
  }
  const chronyc = findOnPath('chronyc', env['PATH']);
  if (chronyc === undefined) notes.push('chronyc: not installed');
  else {
    const run = await runTool(chronyc, ['tracking'], { signal, env, maxStdoutBytes: 8 * 1024 });
    const leap = /^Leap status\s*:\s*(.+)$/m.exec(run.stdout)?.[1]?.trim();
    const offset = /^System time\s*:\s*(.+)$/m.exec(run.stdout)?.[1]?.trim();
    if (run.exitCode === 0 && leap === 'Normal') return pass(`NTP synchronised (chronyc${offset ? `: ${offset}` : ''})`);
    if (run.exitCode === 0 && leap === 'Not synchronised') return fail('not synchronised to NTP (chronyc: Leap status Not synchronised): check its servers');
    notes.push(`chronyc: ${firstLine(run.stderr) || `leap status ${leap ?? 'unknown'}`}`);
  }
  return warn(`cannot tell whether the clock is synchronised (${notes.join('; ')}); it reads ${new Date(time).toISOString()}`);
}

function firstLine(text: string): string {
  return (text.split(/\r?\n/).find((line) => line.trim() !== '') ?? '').trim().slice(0, 120);
}
