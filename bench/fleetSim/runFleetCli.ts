import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../agent/inference/modelFiles.js';

/**
 * Runs a real `c5-agent fleet ...` command (`node dist/agent/main.js`) as a child process, the
 * way an operator does, and measures its peak resident memory: a one-line preload records the
 * kernel's own high-water mark (`process.resourceUsage().maxRSS`) as the process exits, so no
 * spike between two samples is missed.
 */

export interface FleetCliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  /** peak resident set size, MB; NaN when the process did not exit on its own */
  readonly peakRssMb: number;
}

const PEAK_RSS_ENV = 'C5_FLEET_SIM_PEAK_RSS_FILE';
const RECORD_PEAK_RSS = `import { writeFileSync } from 'node:fs';
process.on('exit', () => { const file = process.env.${PEAK_RSS_ENV}; if (file) writeFileSync(file, String(process.resourceUsage().maxRSS)); });`;

/** The built CLI; `npm run fleet:sim` and the tests build it first. */
export function fleetCliPath(): string {
  return join(packageRoot(), 'dist', 'agent', 'main.js');
}

export interface FleetCliOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** each chunk of stderr as it comes (the push's progress lines) */
  readonly onStderr?: (text: string) => void;
}

export function runFleetCli(args: readonly string[], options: FleetCliOptions): Promise<FleetCliResult> {
  const dir = mkdtempSync(join(tmpdir(), 'c5-fleet-cli-'));
  const rssFile = join(dir, 'peak-rss-kb');
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(RECORD_PEAK_RSS)}`, fleetCliPath(), ...args], {
    cwd: packageRoot(),
    env: { ...(options.env ?? process.env), [PEAK_RSS_ENV]: rssFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stderr += text;
    options.onStderr?.(text);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      let peakRssMb = Number.NaN;
      try {
        peakRssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
      } catch {
        // Killed (the time-out) or crashed before its exit handler: no figure, and NaN says so.
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr, seconds: (Date.now() - started) / 1000, peakRssMb });
    });
  });
}
