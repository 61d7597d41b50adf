/**
 * Exponential backoff shared by everything that retries (decoder restarts, broker reconnects,
 * refused publishes): `minMs` doubling per consecutive failure (`attempt`, 0-based), capped at
 * `maxMs`. Callers that wait take backoffDelayMs, which adds the jitter.
 */
export function cappedExponentialMs(attempt: number, minMs: number, maxMs: number): number {
  const ceiling = Math.max(minMs, maxMs);
  // 2 ** 31 already exceeds any sane cap; bounding the exponent keeps the arithmetic finite.
  return Math.min(ceiling, minMs * 2 ** Math.min(Math.max(0, attempt), 31));
}

/**
 * The retry delay with jitter: the capped value less up to `jitter` of it, so between
 * `(1 - jitter)` and all of it (`random()` 1 gives the full value, 0 the least). The default 0.5
 * is "equal jitter". Thousands of agents lose the same broker node at the same moment; without
 * jitter they would all come back in the same millisecond, every time.
 */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random, jitter = 0.5): number {
  const capped = cappedExponentialMs(attempt, minMs, maxMs);
  const r = Math.min(1, Math.max(0, random()));
  const spread = Math.min(1, Math.max(0, jitter));
  return Math.round(capped * (1 - spread) + capped * spread * r);
}
