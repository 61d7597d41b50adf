import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_NODE_FLAGS, AGENT_PROCESS_ENV } from '../agent/agentProcessTuning.js';
import { freePort } from '../test/helpers/freePort.js';
import { benchCameraId, benchSite, type BenchSiteOptions } from './benchSite.js';
import { parseMetrics, total, type Sample } from './metricsText.js';
import { sleep } from './stats.js';

export interface ChildAgent {
  readonly pid: number;
  scrape(): Promise<Sample[]>;
  /** resident memory now and at its peak (VmHWM), MB, of the agent process */
  memory(): Promise<{ rssMb: number; peakRssMb: number }>;
  /** resident memory of the agent's ffmpeg children, MB (each counts the shared libraries whole) */
  decodersRssMb(): Promise<number>;
  /**
   * proportional memory (PSS) of the agent's ffmpeg children, MB: each shared page divided among
   * the processes that map it, so the sum is what the decoders together take from the box
   */
  decodersPssMb(): Promise<number>;
  stop(): Promise<void>;
}

/** The node flags and environment the agent's process starts with. */
export interface AgentTuning {
  readonly nodeFlags: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** What the systemd unit and the image start the agent with. */
export const PRODUCTION_TUNING: AgentTuning = { nodeFlags: AGENT_NODE_FLAGS, env: AGENT_PROCESS_ENV };

async function statusKb(pid: number, field: string, file: 'status' | 'smaps_rollup' = 'status'): Promise<number> {
  const text = await readFile(`/proc/${pid}/${file}`, 'utf8').catch(() => '');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/** One memory field summed over a process's children (the agent's ffmpeg decoders), MB. */
async function childrenKb(pid: number, field: string, file: 'status' | 'smaps_rollup'): Promise<number> {
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean);
  const kb = await Promise.all(children.map((id) => statusKb(Number(id), field, file)));
  return kb.filter((value) => Number.isFinite(value)).reduce((sum, value) => sum + value, 0) / 1024;
}

/**
 * The agent as it runs in production: `node <flags> dist/agent/main.js run --config site.json` in
 * its own process, so its resident memory is its own, with the node flags and environment of the
 * systemd unit and the image (agentProcessTuning.ts) unless `tuning` says otherwise. Ready once
 * every camera has had a frame handled.
 */
export async function startChildAgent(
  site: Omit<BenchSiteOptions, 'stateDir' | 'metricsPort'>,
  env: NodeJS.ProcessEnv,
  root: string,
  tuning: AgentTuning = PRODUCTION_TUNING,
): Promise<ChildAgent> {
  const stateDir = await mkdtemp(join(tmpdir(), 'c5-bench-agent-'));
  const metricsPort = await freePort();
  const configPath = join(stateDir, 'site.json');
  await writeFile(configPath, JSON.stringify(benchSite({ ...site, stateDir, metricsPort }), null, 2));
  const log = createWriteStream(join(stateDir, 'agent.log'));
  const child: ChildProcess = spawn(process.execPath, [...tuning.nodeFlags, join(root, 'dist', 'agent', 'main.js'), 'run', '--config', configPath], {
    env: { ...env, ...tuning.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error('bench: could not start the agent');
  const url = `http://127.0.0.1:${metricsPort}/metrics`;
  const scrape = async (): Promise<Sample[]> => parseMetrics(await (await fetch(url)).text());
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    log.end();
    await rm(stateDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bench: the agent exited with ${child.exitCode} during start-up; see its log (${configPath})`);
    const samples = await scrape().catch(() => []);
    const handled =
      site.cameras > 0 &&
      Array.from({ length: site.cameras }, (_, i) => benchCameraId(i)).every((camera) => total(samples, 'c5_agent_frames_total', { camera }) > 0);
    if (handled) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error('bench: the agent did not handle a frame from every camera within 60 s');
    }
    await sleep(250);
  }

  return {
    pid,
    scrape,
    memory: async () => ({ rssMb: (await statusKb(pid, 'VmRSS')) / 1024, peakRssMb: (await statusKb(pid, 'VmHWM')) / 1024 }),
    decodersRssMb: () => childrenKb(pid, 'VmRSS', 'status'),
    decodersPssMb: () => childrenKb(pid, 'Pss', 'smaps_rollup'),
    stop,
  };
}
