import { readFileSync, writeFileSync } from 'node:fs';
import { waitFor } from './recordingListener.js';
import { startCli, type CliProcess, type CliResult } from './runCli.js';
import { waitForExit } from './stopChild.js';

/**
 * The real agent CLI (`node dist/agent/main.js run --config FILE`) as a child process, for tests
 * that need what only a process has: signals, kill -9, its own event loop behind /healthz and its
 * own memory (read from /proc/PID/status).
 */

/** One pino line from the agent's stdout. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly component?: string;
  readonly [field: string]: unknown;
}

export const WARN = 40;

export interface HealthProbe {
  readonly ok: boolean;
  /** time to the full answer, or to the give-up */
  readonly ms: number;
}

export interface AgentProcess {
  readonly cli: CliProcess;
  readonly pid: number;
  /** from the `agent started` log line, e.g. `http://127.0.0.1:39811` */
  readonly metricsUrl: string;
  /** every stdout line that is JSON, in order */
  logs(): LogLine[];
  /** stdout and stderr as written */
  output(): string;
  /** GET /healthz, giving up after timeoutMs */
  healthz(timeoutMs?: number): Promise<HealthProbe>;
  /** GET /metrics as text */
  metricsText(): Promise<string>;
  /** the sum of every sample of `name` whose labels include all of `labels` (0 when none) */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** the resident set size now, bytes */
  rssBytes(): number;
  /**
   * The peak resident set size since the last resetPeakRss() (or the start), bytes: the kernel's
   * own high-water mark, so no spike between two samples is missed.
   */
  peakRssBytes(): number;
  /** starts a new peak from the current RSS (Linux: `5` into /proc/PID/clear_refs) */
  resetPeakRss(): void;
  /** resolves true once the process has exited */
  exited(timeoutMs: number): Promise<boolean>;
  /** SIGTERM and the result; SIGKILL after graceMs */
  terminate(graceMs?: number): Promise<CliResult & { stopMs: number }>;
  /** SIGKILL, no questions asked */
  kill(): Promise<void>;
}

export interface AgentProcessOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** how long to wait for the `agent started` line */
  readonly startTimeoutMs?: number;
}

function parseLogs(stdout: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut mid-write by kill -9: not a log line yet
    }
  }
  return lines;
}

/** `name{a="x",b="y"} 12` lines of a Prometheus text scrape, summed over those matching `labels`. */
export function sumSamples(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) sum += Number(match[3]);
  }
  return sum;
}

/** Reads `VmRSS` (or `VmHWM`, the peak) of a live process from /proc, in bytes. */
export function procMemoryBytes(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Starts `c5-agent run --config configPath` and waits for its `agent started` line. */
export async function startAgentProcess(configPath: string, options: AgentProcessOptions = {}): Promise<AgentProcess> {
  // The CLI helper's own kill timer is only a backstop here: every test stops its agent itself.
  const cli = startCli(['run', '--config', configPath], { env: options.env ?? process.env, timeoutMs: 10 * 60_000 });
  const pid = cli.child.pid;
  if (pid === undefined) throw new Error('the agent process did not start');
  const logs = (): LogLine[] => parseLogs(cli.stdout());
  const output = (): string => `${cli.stdout()}${cli.stderr()}`;
  const exited = (timeoutMs: number): Promise<boolean> => waitForExit(cli.child, timeoutMs);
  try {
    await waitFor(
      'the agent started log line',
      () => {
        if (cli.child.exitCode !== null || cli.child.signalCode !== null) throw new Error(`the agent exited during start-up:\n${output().slice(-4_000)}`);
        return logs().some((line) => line.msg === 'agent started');
      },
      options.startTimeoutMs ?? 45_000,
      50,
    );
  } catch (error) {
    cli.child.kill('SIGKILL');
    throw error;
  }
  const started = logs().find((line) => line.msg === 'agent started')!;
  const metricsUrl = String(started['metrics']);

  const metricsText = async (): Promise<string> => (await fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  return {
    cli,
    pid,
    metricsUrl,
    logs,
    output,
    async healthz(timeoutMs = 1_000) {
      const begun = performance.now();
      try {
        const response = await fetch(`${metricsUrl}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
        await response.text();
        return { ok: response.status === 200, ms: performance.now() - begun };
      } catch {
        return { ok: false, ms: performance.now() - begun };
      }
    },
    metricsText,
    async metric(name, labels) {
      return sumSamples(await metricsText(), name, labels);
    },
    rssBytes: () => procMemoryBytes(pid),
    peakRssBytes: () => procMemoryBytes(pid, 'VmHWM'),
    resetPeakRss: () => writeFileSync(`/proc/${pid}/clear_refs`, '5'),
    exited,
    async terminate(graceMs = 15_000) {
      const begun = performance.now();
      cli.child.kill('SIGTERM');
      if (!(await exited(graceMs))) cli.child.kill('SIGKILL');
      const result = await cli.done;
      return { ...result, stopMs: performance.now() - begun };
    },
    async kill() {
      cli.child.kill('SIGKILL');
      await exited(5_000);
    },
  };
}

/** Samples something every intervalMs until stopped (or maxMs passed); for RSS and /healthz during a flood. */
export function sampleEvery<T>(intervalMs: number, sample: () => T | Promise<T>, maxMs = 120_000): { readonly samples: T[]; stop(): Promise<T[]> } {
  const samples: T[] = [];
  let running = true;
  const deadline = Date.now() + maxMs;
  const loop = (async () => {
    while (running && Date.now() < deadline) {
      const begun = Date.now();
      samples.push(await sample());
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (Date.now() - begun))));
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}
