import { toError } from '../../pipelines/errors.js';
import type { Clock } from '../clock.js';

/**
 * Reconnect delay for the `attempt`-th consecutive failure (0-based): exponential from `minMs`,
 * capped at `maxMs`, then "equal jitter" (between half and all of the capped value). Thousands of
 * agents lose the same broker node at the same moment; without jitter they would all come back in
 * the same millisecond, every time.
 */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.max(minMs, maxMs);
  // 2 ** 31 already exceeds any sane cap; bounding the exponent keeps the arithmetic finite.
  const exponential = minMs * 2 ** Math.min(Math.max(0, attempt), 31);
  const capped = Math.min(ceiling, exponential);
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(capped / 2 + (capped / 2) * r);
}

/** Settles like `promise`, or rejects with `onTimeout()` after `timeoutMs` on the given clock. */
export function withTimeout<T>(clock: Clock, promise: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), timeoutMs);
    promise.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (error: unknown) => {
        timer.cancel();
        reject(toError(error));
      },
    );
  });
}
