import { loadavg } from 'node:os';
import type { ModelEntry } from '../pipelines/detect/modelRegistry.js';
import type { Frame } from '../pipelines/types.js';
import type { BenchSiteOptions } from './benchSite.js';
import { runTrial, type TrialOptions, type TrialResult } from './capacity.js';
import { measureOrtOnly } from './ortOnly.js';
import { measureLatency } from './pipelinePhases.js';
import { quantile, round } from './stats.js';
import { formatTable } from './table.js';

/** The candidates the defaults were chosen from (docs/PERFORMANCE.md); 0 threads is ONNX Runtime's own choice. */
const CANDIDATES = [
  { label: 'main thread, intra-op 1', inference: { thread: 'main', workers: 1, intraOpNumThreads: 1, interOpNumThreads: 1 } },
  { label: '1 worker thread, intra-op 1', inference: { thread: 'worker', workers: 1, intraOpNumThreads: 1, interOpNumThreads: 1 } },
  { label: '1 worker thread, intra-op 2', inference: { thread: 'worker', workers: 1, intraOpNumThreads: 2, interOpNumThreads: 1 } },
  { label: '2 worker threads, intra-op 1', inference: { thread: 'worker', workers: 2, intraOpNumThreads: 1, interOpNumThreads: 1 } },
] as const;
/** above what one thread serves here, so the candidates differ in what they process */
const MANY_CAMERAS = 14;
const ROUNDS = 2;

type Site = Omit<BenchSiteOptions, 'cameras' | 'realtime' | 'analyticsFps' | 'motion' | 'stateDir' | 'metricsPort'>;

/**
 * `npm run bench -- --sweep`: each candidate alone (ONNX Runtime only, on the candidate's threads), in the whole
 * agent at one camera (10 fps, frame-to-PUBACK) and at fourteen (5 fps each). The machine is shared, so
 * candidates are measured in turn, round after round, and the median reported.
 */
export async function runSessionSweep(options: {
  readonly modelPath: string;
  readonly entry: ModelEntry;
  readonly frames: readonly Frame[];
  readonly site: Site;
  readonly env: NodeJS.ProcessEnv;
  readonly trialOptions: (windowSeconds: number, inference?: Record<string, unknown>) => TrialOptions;
  readonly say: (text: string) => void;
}): Promise<void> {
  const alone = CANDIDATES.map(() => [] as number[]);
  const oneCamera = CANDIDATES.map(() => [] as { p50: number; p99: number }[]);
  const many = CANDIDATES.map(() => [] as TrialResult[]);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [i, candidate] of CANDIDATES.entries()) {
      options.say(`sweep round ${round}/${ROUNDS}: ${candidate.label} (load average ${loadavg()[0]!.toFixed(2)})`);
      alone[i]!.push(
        (
          await measureOrtOnly({
            modelPath: options.modelPath,
            entry: options.entry,
            frames: options.frames,
            sessionOptions: candidate.inference,
            threads: candidate.inference,
            seconds: 4,
          })
        ).fps,
      );
      const latency = await measureLatency({ ...options.site, inference: candidate.inference }, options.env, 10, 3, 12);
      oneCamera[i]!.push({ p50: latency.p50, p99: latency.p99 });
      many[i]!.push(await runTrial(MANY_CAMERAS, false, options.trialOptions(15, candidate.inference)));
    }
  }
  const median = (values: readonly number[]): number => round(quantile(values, 0.5), 2);
  const rows = CANDIDATES.map((candidate, i) => ({
    settings: candidate.label,
    ortOnlyFps: median(alone[i]!),
    oneCameraP50Ms: median(oneCamera[i]!.map((r) => r.p50)),
    oneCameraP99Ms: median(oneCamera[i]!.map((r) => r.p99)),
    manyDroppedPercent: median(many[i]!.map((r) => r.dropRatio * 100)),
    manyWithin250Percent: median(many[i]!.map((r) => r.withinLatency * 100)),
    manyProcessedFps: median(many[i]!.map((r) => r.processedFps)),
    manyInferenceBusyPercent: median(many[i]!.map((r) => r.inferenceBusy * 100)),
  }));
  process.stdout.write(
    `\n${formatTable([
      [
        'settings',
        'ONNX Runtime alone (fps)',
        '1 camera at 10 fps: p50 / p99 ms',
        `${MANY_CAMERAS} cameras at 5 fps: dropped %, within 250 ms %, processed fps, model busy %`,
      ],
      ...rows.map((r) => [
        r.settings,
        String(r.ortOnlyFps),
        `${r.oneCameraP50Ms} / ${r.oneCameraP99Ms}`,
        `${r.manyDroppedPercent} / ${r.manyWithin250Percent} / ${r.manyProcessedFps} / ${r.manyInferenceBusyPercent}`,
      ]),
    ])}\n(medians of ${ROUNDS} rounds)\n`,
  );
}
