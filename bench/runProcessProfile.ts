import { parseArgs } from 'node:util';
import { resolveFfmpegPath } from '../agent/ingest/resolveFfmpegPath.js';
import { createRootLogger } from '../agent/observe/logger.js';
import { benchEnv } from './benchEnv.js';
import { openBenchStream, type BenchStreamKind } from './benchStream.js';
import { PRODUCTION_TUNING, startChildAgent, type AgentTuning } from './childAgent.js';
import { startLocalBroker } from './localBroker.js';
import { total } from './metricsText.js';
import { cpuPerSecond, snapshotCpu } from './processCpu.js';
import { mean, round, sleep } from './stats.js';
import { formatTable } from './table.js';

/**
 * `npm run bench:process -- --stream sd --cameras 17 --runs 4`: where a loaded box's CPU goes.
 * The agent runs as in the capacity phase (its own process, N cameras from the RTSP test server,
 * 5 fps each) for one window, once per variant and run, the variants taking turns so that a
 * noisy minute does not land on one of them. Each run prints the CPU-seconds per second of the
 * agent's main thread, of its two busiest threads (the inference workers), of its other threads
 * (V8's garbage-collection helpers, libuv), of the decoders and of the rest of the box (the RTSP
 * server and broker); the main thread's garbage collections; frames dropped; the agent's peak RSS.
 *
 * `--variant` (repeatable): `none` (Node's defaults), `production` (agentProcessTuning.ts, what
 * the systemd unit and the image use), or `NAME=TOKENS` where a token `--flag` is a node flag
 * and `KEY=VALUE` an environment variable, e.g. `semi8=--max-semi-space-size=8`.
 */

const { values } = parseArgs({
  options: {
    stream: { type: 'string', default: 'sd' },
    cameras: { type: 'string', default: '17' },
    runs: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '10' },
    window: { type: 'string', default: '20' },
    variant: { type: 'string', multiple: true },
  },
});

function positive(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 1000) throw new Error(`--${name} ${JSON.stringify(text)}: expected an integer from 1 to 1000`);
  return value;
}

function parseVariant(text: string): { name: string; tuning: AgentTuning } {
  if (text === 'none') return { name: text, tuning: { nodeFlags: [], env: {} } };
  if (text === 'production') return { name: text, tuning: PRODUCTION_TUNING };
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`--variant ${JSON.stringify(text.slice(0, 40))}: expected none, production or NAME=TOKENS`);
  const nodeFlags: string[] = [];
  const env: Record<string, string> = {};
  for (const token of text
    .slice(eq + 1)
    .split(/\s+/)
    .filter(Boolean)) {
    const assignment = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(token);
    if (token.startsWith('--')) nodeFlags.push(token);
    else if (assignment) env[assignment[1]!] = assignment[2]!;
    else throw new Error(`--variant ${JSON.stringify(text.slice(0, 40))}: ${JSON.stringify(token.slice(0, 40))} is neither --flag nor KEY=VALUE`);
  }
  return { name: text.slice(0, eq), tuning: { nodeFlags, env } };
}

const streamKind = values.stream as BenchStreamKind;
if (streamKind !== 'sd' && streamKind !== '1080p') throw new Error(`--stream ${JSON.stringify(values.stream)}: expected sd or 1080p`);
const cameras = positive('cameras', values.cameras);
const runs = positive('runs', values.runs);
const warmupSeconds = positive('warmup', values.warmup);
const windowSeconds = positive('window', values.window);
const variants = (values.variant ?? ['none', 'production']).map(parseVariant);
const say = (text: string): void => void process.stderr.write(`bench:process: ${text}\n`);

interface RunFigures {
  readonly variant: string;
  readonly agent: number;
  readonly main: number;
  readonly inference: number;
  readonly otherThreads: number;
  readonly decoders: number;
  readonly rest: number;
  readonly minorGcs: number;
  readonly majorGcs: number;
  readonly mainGcSeconds: number;
  readonly droppedPercent: number;
  readonly peakRssMb: number;
}

const setup = benchEnv();
const broker = await startLocalBroker();
const ffmpegPath = resolveFfmpegPath({ env: setup.env, logger: createRootLogger({ level: 'warn' }) });
const stream = await openBenchStream(streamKind, { ffmpegPath, clipPath: setup.clipPath });
const site = { clipPath: stream.url, stream: true, brokerUrl: broker.url, protocolVersion: broker.protocolVersion, realtime: true, analyticsFps: 5 } as const;

async function profileOnce(variant: { name: string; tuning: AgentTuning }): Promise<RunFigures> {
  const agent = await startChildAgent({ ...site, cameras, motion: false }, setup.env, setup.root, variant.tuning);
  try {
    await sleep(warmupSeconds * 1000);
    const metricsBefore = await agent.scrape();
    const before = await snapshotCpu(agent.pid);
    await sleep(windowSeconds * 1000);
    const metricsAfter = await agent.scrape();
    const after = await snapshotCpu(agent.pid);
    const seconds = (after.at - before.at) / 1000;
    const processes = cpuPerSecond(before.processes, after.processes, seconds);
    const threads = cpuPerSecond(before.threads, after.threads, seconds);
    const agentCpu = processes.get(agent.pid) ?? 0;
    const decoders = [...processes].filter(([pid]) => after.processes.get(pid)?.ppid === agent.pid).reduce((sum, [, rate]) => sum + rate, 0);
    const everything = [...processes.values()].reduce((sum, rate) => sum + rate, 0);
    const main = threads.get(agent.pid) ?? 0;
    const busiest = [...threads]
      .filter(([tid]) => tid !== agent.pid)
      .map(([, rate]) => rate)
      .sort((a, b) => b - a);
    const inference = (busiest[0] ?? 0) + (busiest[1] ?? 0);
    const delta = (name: string, where: Record<string, string> = {}): number => total(metricsAfter, name, where) - total(metricsBefore, name, where);
    const received = delta('c5_agent_frames_total');
    return {
      variant: variant.name,
      agent: agentCpu,
      main,
      inference,
      otherThreads: Math.max(0, agentCpu - main - inference),
      decoders,
      rest: Math.max(0, everything - agentCpu - decoders),
      minorGcs: delta('nodejs_gc_duration_seconds_count', { kind: 'minor' }),
      majorGcs: delta('nodejs_gc_duration_seconds_count', { kind: 'major' }),
      mainGcSeconds: delta('nodejs_gc_duration_seconds_sum'),
      droppedPercent: received > 0 ? (100 * delta('c5_agent_frames_total', { outcome: 'dropped' })) / received : 100,
      peakRssMb: (await agent.memory()).peakRssMb,
    };
  } finally {
    await agent.stop();
  }
}

const HEADER = [
  'variant',
  'agent',
  'main thread',
  'inference (2 busiest)',
  'other threads',
  'decoders',
  'rest of box',
  'minor / major GCs',
  'main-thread GC s',
  'dropped %',
  'peak RSS MB',
];
const row = (r: RunFigures): string[] => [
  r.variant,
  r.agent.toFixed(3),
  r.main.toFixed(3),
  r.inference.toFixed(3),
  r.otherThreads.toFixed(3),
  r.decoders.toFixed(3),
  r.rest.toFixed(3),
  `${r.minorGcs} / ${r.majorGcs}`,
  r.mainGcSeconds.toFixed(2),
  r.droppedPercent.toFixed(2),
  String(round(r.peakRssMb)),
];

const results: RunFigures[] = [];
try {
  say(`${cameras} cameras, ${stream.description}; ${warmupSeconds} s warm-up, ${windowSeconds} s window; CPU in CPU-s per s`);
  for (let run = 1; run <= runs; run++) {
    for (const variant of variants) {
      const figures = await profileOnce(variant);
      results.push(figures);
      say(`run ${run}, ${variant.name}: ${row(figures).slice(1).join(' | ')}`);
    }
  }
} finally {
  await stream.stop();
  await broker.stop();
}

const means = variants.map((variant) => {
  const of = results.filter((r) => r.variant === variant.name);
  const avg = (pick: (r: RunFigures) => number): number => mean(of.map(pick));
  return row({
    variant: `${variant.name} (mean of ${of.length})`,
    agent: avg((r) => r.agent),
    main: avg((r) => r.main),
    inference: avg((r) => r.inference),
    otherThreads: avg((r) => r.otherThreads),
    decoders: avg((r) => r.decoders),
    rest: avg((r) => r.rest),
    minorGcs: round(avg((r) => r.minorGcs)),
    majorGcs: round(avg((r) => r.majorGcs)),
    mainGcSeconds: avg((r) => r.mainGcSeconds),
    droppedPercent: avg((r) => r.droppedPercent),
    peakRssMb: avg((r) => r.peakRssMb),
  });
});
process.stdout.write(`${formatTable([HEADER, ...results.map(row), ...means])}\n`);
