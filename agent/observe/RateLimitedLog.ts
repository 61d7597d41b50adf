import type { Clock } from '../clock.js';

export interface RateLimitedLogOptions {
  readonly clock: Clock;
  readonly intervalMs: number;
  /** lines admitted per key per interval; default 1 */
  readonly linesPerInterval?: number;
}

interface KeyWindow {
  startedAt: number;
  admitted: number;
  suppressed: number;
}

/**
 * The one throttle for log lines that can repeat at the frame or message rate (ffmpeg stderr, a
 * failing model, a thread that will not restart, a full publish queue): at most
 * `linesPerInterval` lines per key per interval, every other one counted, and the next line
 * admitted for that key told how many were suppressed before it. Intervals are fixed windows
 * that start at the first line after the previous window ended. Keys are the caller's own
 * constants (never attacker text), so the map stays as small as the code that uses it.
 */
export class RateLimitedLog {
  private readonly options: RateLimitedLogOptions;
  private readonly windows = new Map<string, KeyWindow>();

  constructor(options: RateLimitedLogOptions) {
    this.options = options;
  }

  /**
   * Whether a line for `key` may be written now: `{ suppressed }` (lines of this key dropped
   * since its last admitted one, 0 if none) when it may, undefined (and counted) when it may not.
   */
  admit(key: string): { suppressed: number } | undefined {
    const now = this.options.clock.now();
    let window = this.windows.get(key);
    if (!window) {
      window = { startedAt: now, admitted: 0, suppressed: 0 };
      this.windows.set(key, window);
    } else if (now - window.startedAt >= this.options.intervalMs) {
      window.startedAt = now;
      window.admitted = 0;
    }
    if (window.admitted >= (this.options.linesPerInterval ?? 1)) {
      window.suppressed += 1;
      return undefined;
    }
    window.admitted += 1;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    return { suppressed };
  }

  /**
   * Takes the count of `key`'s lines suppressed so far, for a caller that reports it before an
   * event that ends the run (the window is kept, so a restart loop cannot reset the budget).
   */
  takeSuppressed(key: string): number {
    const window = this.windows.get(key);
    if (!window) return 0;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    return suppressed;
  }

  /** Starts `key` afresh: its next line is admitted at once (the trouble it throttled is over). */
  reset(key: string): void {
    this.windows.delete(key);
  }
}
