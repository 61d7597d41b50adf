import { toError } from '../../pipelines/errors.js';
import type { Clock } from '../clock.js';

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
