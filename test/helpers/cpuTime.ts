import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Timing for the linear-time checks issue 12 asks for, which compare a 1 MB input with a 100 KB
 * one measured in the same run (never an absolute time). CPU time, not wall time: on a box shared
 * with other test runs, the time this process waits for a core is not work it did.
 */

// A full collection before each timed call, so no call pays for the garbage of the one before.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Below this the timer's and the GC's noise decide a ratio, so a faster small run counts as this. */
export const NOISE_FLOOR_MS = 2;

/** The least CPU time (user + system) of `times` calls, in ms. */
export function fastestCpuMs(work: () => unknown, times = 5): number {
  let best = Infinity;
  for (let i = 0; i < times; i += 1) {
    collectGarbage();
    const begun = process.cpuUsage();
    work();
    const used = process.cpuUsage(begun);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

/** How many times more CPU `large` takes than `small`, each at its fastest of `times` (JIT warmed first). */
export function cpuTimeRatio(small: () => unknown, large: () => unknown, times = 5): number {
  small();
  large();
  return fastestCpuMs(large, times) / Math.max(fastestCpuMs(small, times), NOISE_FLOOR_MS);
}
