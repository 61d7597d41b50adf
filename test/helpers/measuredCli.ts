import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { procMemoryBytes } from './agentProcess.js';
import { repoRoot } from './paths.js';
import { CLI } from './runCli.js';

/**
 * One CLI run with its cost: wall time and the child's peak resident memory, from GNU time's
 * `Maximum resident set size` when /usr/bin/time is installed, else from the highest VmHWM read
 * in /proc while it ran (every 5 ms; a spike shorter than that can be missed).
 */

export const GNU_TIME = '/usr/bin/time';

export interface MeasuredRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** the CLI's stderr, without GNU time's report */
  readonly stderr: string;
  readonly wallMs: number;
  readonly maxRssBytes: number;
  /** killed at timeoutMs */
  readonly timedOut: boolean;
}

const TIME_REPORT = /(Command exited with non-zero status \d+\n|Command terminated by signal \d+\n)?\tCommand being timed:[\s\S]*$/;

export function runCliMeasured(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<MeasuredRun> {
  const useTime = existsSync(GNU_TIME);
  const command = useTime ? GNU_TIME : process.execPath;
  const argv = useTime ? ['-v', process.execPath, CLI, ...args] : [CLI, ...args];
  const begun = performance.now();
  // its own process group, so a timeout ends GNU time and the CLI under it together
  const child = spawn(command, argv, { cwd: repoRoot, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  let polledPeak = 0;
  let timedOut = false;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-256 * 1024)));
  const poller = useTime
    ? undefined
    : setInterval(() => {
        try {
          polledPeak = Math.max(polledPeak, procMemoryBytes(child.pid!, 'VmHWM'));
        } catch {
          // gone between two polls: the last reading stands
        }
      }, 5);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-child.pid!, 'SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (poller) clearInterval(poller);
      const wallMs = performance.now() - begun;
      const reported = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolve({
        code,
        signal,
        stdout,
        stderr: stderr.replace(TIME_REPORT, ''),
        wallMs,
        maxRssBytes: reported ? Number(reported[1]) * 1024 : polledPeak,
        timedOut,
      });
    });
  });
}
