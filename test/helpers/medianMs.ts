/**
 * Timing for the linear-time checks the issue asks for, which compare a 1 MB input with a 100 KB
 * one measured in the same run (never an absolute time).
 */

/** Median of several runs of fn, in milliseconds. */
export function medianMs(fn: () => void, runs = 5): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) times.push(elapsedMs(fn));
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/**
 * How many times longer `large` takes than `small`: the fastest of `runs` alternating runs of
 * each, so both meet the same load from other processes and a stall hits neither minimum; small
 * is floored at 0.5 ms against timer noise.
 */
export function timeRatio(small: () => void, large: () => void, runs = 7): number {
  small(); // warm the JIT up before measuring
  large();
  let smallMs = Infinity;
  let largeMs = Infinity;
  for (let i = 0; i < runs; i += 1) {
    smallMs = Math.min(smallMs, elapsedMs(small));
    largeMs = Math.min(largeMs, elapsedMs(large));
  }
  return largeMs / Math.max(smallMs, 0.5);
}

function elapsedMs(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}
