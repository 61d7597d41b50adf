import { startChildAgent } from './childAgent.js';
import { benchCameraId, type BenchSiteOptions } from './benchSite.js';
import { total, type Sample } from './metricsText.js';
import { round, sleep } from './stats.js';

export interface CapacityCriteria {
  /** dropped / received below this */
  readonly maxDropRatio: number;
  /** this share of alerts within `latencyMs` (0.99: p99 under it) */
  readonly latencyQuantile: number;
  readonly latencyMs: number;
  /** frames must keep arriving at this share of the camera rate (an overloaded box starves its decoders too) */
  readonly minDeliveredShare: number;
}

export const CAPACITY_CRITERIA: CapacityCriteria = { maxDropRatio: 0.01, latencyQuantile: 0.99, latencyMs: 250, minDeliveredShare: 0.97 };

export interface TrialResult {
  readonly cameras: number;
  readonly motion: boolean;
  readonly pass: boolean;
  readonly why: string[];
  readonly seconds: number;
  readonly receivedFpsPerCamera: number;
  readonly processedFps: number;
  readonly dropRatio: number;
  readonly skippedMotionRatio: number;
  readonly alerts: number;
  /** share of alerts acknowledged within the latency bound */
  readonly withinLatency: number;
  /** the histogram bucket (ms) that holds the p99 */
  readonly p99BucketMs: number;
  /** share of wall time the model was running */
  readonly inferenceBusy: number;
  /** mean inference time per frame in the window (ms): how fast the machine was during this trial */
  readonly inferenceMs: number;
  /** the failed first run, when this result is its rerun */
  readonly firstAttempt?: TrialResult;
  readonly agentPeakRssMb: number;
  readonly decodersRssMb: number;
  readonly decodersPssMb: number;
  /** the highest drop ratio of one camera over the mean of all (0 when no frame was dropped) */
  readonly worstCameraDropOverMean: number;
}

export interface TrialOptions {
  readonly site: Omit<BenchSiteOptions, 'cameras' | 'motion' | 'stateDir' | 'metricsPort'>;
  readonly env: NodeJS.ProcessEnv;
  readonly root: string;
  readonly warmupSeconds: number;
  readonly windowSeconds: number;
  readonly criteria?: CapacityCriteria;
}

const FRAMES = 'c5_agent_frames_total';
const LATENCY = 'c5_agent_frame_to_alert_seconds';

/** The smallest histogram bound (ms) with at least `q` of the window's observations at or below it. */
function bucketQuantileMs(before: readonly Sample[], after: readonly Sample[], q: number): number {
  const count = total(after, `${LATENCY}_count`) - total(before, `${LATENCY}_count`);
  if (count <= 0) return Number.NaN;
  const bounds = after.filter((s) => s.name === `${LATENCY}_bucket`).map((s) => s.labels['le']!);
  for (const le of bounds) {
    const within = total(after, `${LATENCY}_bucket`, { le }) - total(before, `${LATENCY}_bucket`, { le });
    if (within >= q * count) return le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le) * 1000;
  }
  return Number.POSITIVE_INFINITY;
}

/** N real-time cameras for a window: drops, frame-to-PUBACK within bound, decoders keeping up, memory. */
export async function runTrial(cameras: number, motion: boolean, options: TrialOptions): Promise<TrialResult> {
  const criteria = options.criteria ?? CAPACITY_CRITERIA;
  const agent = await startChildAgent({ ...options.site, cameras, motion }, options.env, options.root);
  try {
    await sleep(options.warmupSeconds * 1000);
    const before = await agent.scrape();
    const started = Date.now();
    await sleep(options.windowSeconds * 1000);
    const after = await agent.scrape();
    const seconds = (Date.now() - started) / 1000;
    const delta = (name: string, where: Record<string, string> = {}): number => total(after, name, where) - total(before, name, where);
    const received = delta(FRAMES);
    const dropped = delta(FRAMES, { outcome: 'dropped' });
    const skipped = delta(FRAMES, { outcome: 'skipped_motion' });
    const alerts = delta(`${LATENCY}_count`);
    const latencyBound = String(criteria.latencyMs / 1000);
    const within = alerts > 0 ? delta(`${LATENCY}_bucket`, { le: latencyBound }) / alerts : 1;
    const receivedFpsPerCamera = received / cameras / seconds;
    // Fairness: one camera starved while the others are served would hide behind a low mean.
    const cameraDropRatios = Array.from({ length: cameras }, (_, i) => {
      const camera = benchCameraId(i);
      const got = delta(FRAMES, { camera });
      return got > 0 ? delta(FRAMES, { camera, outcome: 'dropped' }) / got : 1;
    });
    const meanDrop = cameraDropRatios.reduce((a, b) => a + b, 0) / Math.max(1, cameras);
    const dropRatio = received > 0 ? dropped / received : 1;
    const why: string[] = [];
    if (dropRatio >= criteria.maxDropRatio) why.push(`dropped ${(dropRatio * 100).toFixed(1)} %`);
    if (within < criteria.latencyQuantile) why.push(`${(within * 100).toFixed(1)} % of alerts within ${criteria.latencyMs} ms`);
    if (receivedFpsPerCamera < criteria.minDeliveredShare * options.site.analyticsFps)
      why.push(`decoders delivered ${receivedFpsPerCamera.toFixed(2)} fps per camera`);
    const memory = await agent.memory();
    return {
      cameras,
      motion,
      pass: why.length === 0,
      why,
      seconds: round(seconds),
      receivedFpsPerCamera: round(receivedFpsPerCamera, 2),
      processedFps: round(delta(FRAMES, { outcome: 'processed' }) / seconds),
      dropRatio: round(dropRatio, 4),
      skippedMotionRatio: round(received > 0 ? skipped / received : 0, 3),
      alerts,
      withinLatency: round(within, 4),
      p99BucketMs: bucketQuantileMs(before, after, criteria.latencyQuantile),
      inferenceBusy: round(delta('c5_agent_stage_seconds_sum', { stage: 'inference' }) / seconds, 3),
      inferenceMs: round(
        (1000 * delta('c5_agent_stage_seconds_sum', { stage: 'inference' })) / Math.max(1, delta('c5_agent_stage_seconds_count', { stage: 'inference' })),
        2,
      ),
      agentPeakRssMb: round(memory.peakRssMb),
      decodersRssMb: round(await agent.decodersRssMb()),
      decodersPssMb: round(await agent.decodersPssMb()),
      worstCameraDropOverMean: meanDrop > 0 ? round(Math.max(...cameraDropRatios) / meanDrop, 2) : 0,
    };
  } finally {
    await agent.stop();
  }
}

/** A failure by a margin that a slow moment of a shared machine can explain: under 5 % dropped. */
export function nearMiss(result: TrialResult): boolean {
  return !result.pass && result.dropRatio < 0.05;
}

/**
 * A trial that failed narrowly is run once more and the second run decides. Other work on a
 * shared machine only ever slows the agent down, so of two runs the better one is the closer to
 * what the box itself can do (as benchmarks keep the fastest of several runs); both are kept in
 * the results. A pass is never rerun, and a clear overload not either: a pass needs one run
 * clean of it.
 */
export async function runTrialWithRetry(
  run: () => Promise<TrialResult>,
  mayRetry: (first: TrialResult) => boolean,
  onFirstFailure?: (first: TrialResult) => void,
): Promise<TrialResult> {
  const first = await run();
  if (first.pass || !mayRetry(first)) return first;
  onFirstFailure?.(first);
  const second = await run();
  return { ...second, firstAttempt: first };
}

export interface CapacityResult {
  /** the most cameras that passed (0: none did) */
  readonly capacity: number;
  /** the fewest that failed, when one did */
  readonly firstFailure: number | undefined;
  readonly trials: TrialResult[];
  /** false when the time budget ran out before the search closed in */
  readonly exact: boolean;
}

/**
 * Steps of half again from a first guess until a failure (or of a quarter down until a pass),
 * then bisection; stops at the time budget, reporting the bounds it had. The guess comes from the
 * model's own rate, so the answer is near it and whole doublings would waste trials.
 */
export async function searchCapacity(options: {
  readonly start: number;
  readonly max: number;
  readonly deadline: number;
  readonly trial: (cameras: number) => Promise<TrialResult>;
  readonly onTrial?: (result: TrialResult) => void;
}): Promise<CapacityResult> {
  let passed = 0;
  let failed: number | undefined;
  let next = Math.max(1, Math.min(options.start, options.max));
  const trials: TrialResult[] = [];
  while (Date.now() < options.deadline) {
    const result = await options.trial(next);
    trials.push(result);
    options.onTrial?.(result);
    if (result.pass) passed = Math.max(passed, next);
    else failed = Math.min(failed ?? next, next);
    if (failed === undefined) {
      if (next >= options.max) break;
      next = Math.min(options.max, Math.max(next + 1, Math.round(next * 1.5)));
    } else if (passed === 0) {
      if (next === 1) break;
      next = Math.max(1, Math.min(next - 1, Math.round(next * 0.75)));
    } else {
      if (failed - passed <= 1) break;
      next = Math.floor((passed + failed) / 2);
    }
  }
  const exact = failed === undefined ? passed >= options.max : failed - passed <= 1;
  return { capacity: passed, firstFailure: failed, trials, exact };
}
