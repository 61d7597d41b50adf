/**
 * Exponential backoff shared by everything that retries (decoder restarts, broker reconnects,
 * refused publishes): `minMs` doubling per consecutive failure (`attempt`, 0-based), capped at
 * `maxMs`. Callers add their own jitter on top.
 */
export function cappedExponentialMs(attempt: number, minMs: number, maxMs: number): number {
  const ceiling = Math.max(minMs, maxMs);
  // 2 ** 31 already exceeds any sane cap; bounding the exponent keeps the arithmetic finite.
  return Math.min(ceiling, minMs * 2 ** Math.min(Math.max(0, attempt), 31));
}

/**
 * Reconnect delay with "equal jitter" (between half and all of the capped value). Thousands of
 * agents lose the same broker node at the same moment; without jitter they would all come back in
 * the same millisecond, every time.
 */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const capped = cappedExponentialMs(attempt, minMs, maxMs);
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(capped / 2 + (capped / 2) * r);
}
