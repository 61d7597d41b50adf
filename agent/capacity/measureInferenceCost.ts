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
 * What one frame costs the model on this box: `runs` detect() calls one after the other on the
 * same real frame, on a detector loaded with the site's own session settings in this thread, so
 * that this process's CPU time (getrusage, all threads) is the model's. The agent runs the same
 * session on its worker threads; a frame costs the same CPU there.
 */
export async function measureInferenceCost(detector: Detector, frame: Frame, options: DetectOptions, runs: number): Promise<InferenceCost> {
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a whole number from 1, got ${runs}`);
  for (let i = 0; i < WARMUP_RUNS; i++) await detector.detect(frame, options);
  const times: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await detector.detect(frame, options);
    times.push(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpuBefore);
  times.sort((a, b) => a - b);
  const middle = Math.floor(times.length / 2);
  const wallMsP50 = times.length % 2 === 1 ? times[middle]! : (times[middle - 1]! + times[middle]!) / 2;
  return { runs, wallMsP50, cpuSeconds: (cpu.user + cpu.system) / 1e6 / runs };
}
