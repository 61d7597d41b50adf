import { performance } from 'node:perf_hooks';
import type { DetectOptions, Detector } from '../../pipelines/stages.js';
import type { Frame } from '../../pipelines/types.js';

export interface InferenceCost {
  readonly runs: number;
  /** median wall time of one detect() (ms): preprocessing, the model, post-processing */
  readonly wallMsP50: number;
  /** CPU-seconds of this process per detect(), every thread counted (ONNX Runtime's pool too) */
  readonly cpuSeconds: number;
}

/** Runs before the measured ones: the first calls pay for allocations and kernel selection. */
const WARMUP_RUNS = 3;

/**
 * What one frame costs the model on this box: `runs` detect() calls on the same real frame, shared
 * among `detectors` (one session each, loaded with the site's own session settings in this
 * thread) running side by side, as the agent's inference threads do, so that this process's CPU
 * time (getrusage, all threads) divided by the runs is the model's cost per frame at full load.
 * Side by side matters: on a box whose cores share execution units or memory bandwidth (two vCPUs
 * on one physical core), two sessions together run each inference slower than one alone, and a
 * frame costs more CPU than an idle box suggests.
 */
export async function measureInferenceCost(detectors: readonly Detector[], frame: Frame, options: DetectOptions, runs: number): Promise<InferenceCost> {
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a whole number from 1, got ${runs}`);
  if (detectors.length < 1) throw new RangeError('measureInferenceCost needs at least one detector');
  for (const detector of detectors) for (let i = 0; i < WARMUP_RUNS; i++) await detector.detect(frame, options);
  const times: number[] = [];
  let started = 0;
  const loop = async (detector: Detector): Promise<void> => {
    while (started < runs) {
      started += 1;
      const t0 = performance.now();
      await detector.detect(frame, options);
      times.push(performance.now() - t0);
    }
  };
  const cpuBefore = process.cpuUsage();
  await Promise.all(detectors.map(loop));
  const cpu = process.cpuUsage(cpuBefore);
  times.sort((a, b) => a - b);
  const middle = Math.floor(times.length / 2);
  const wallMsP50 = times.length % 2 === 1 ? times[middle]! : (times[middle - 1]! + times[middle]!) / 2;
  return { runs, wallMsP50, cpuSeconds: (cpu.user + cpu.system) / 1e6 / runs };
}
