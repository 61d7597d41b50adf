import type { Clock } from '../clock.js';
import type { Logger } from '../observe/logger.js';
import { RateLimitedLog } from '../observe/RateLimitedLog.js';

/**
 * Reading ffmpeg's stderr: splitting it into lines, logging it without flooding, and turning its
 * last words into a machine-readable offline reason. Pure apart from the logger and clock it is given.
 */

/** Splits a text stream into lines; ffmpeg ends progress lines with a bare '\r'. */
export class LineSplitter {
  private partial = '';

  /** Longest partial line kept: a binary blob on stderr must not grow memory without bound. */
  constructor(private readonly maxLineLength = 4096) {}

  push(text: string, emit: (line: string) => void): void {
    const parts = (this.partial + text).split(/\r\n|\r|\n/);
    this.partial = (parts.pop() ?? '').slice(0, this.maxLineLength);
    for (const part of parts) if (part.trim()) emit(part.slice(0, this.maxLineLength));
  }

  /** Whatever was left without a newline when the stream ended. */
  flush(emit: (line: string) => void): void {
    if (this.partial.trim()) emit(this.partial);
    this.partial = '';
  }
}

const STDERR_KEY = 'ffmpeg-stderr';

/**
 * ffmpeg's stderr lines through the shared RateLimitedLog: at most `linesPerWindow` per window,
 * so a camera that spams decode errors costs a few log lines per window, not thousands; the count
 * of the rest goes on a line of its own, before the next line that is let through.
 */
export class FfmpegStderrLog {
  private readonly limiter: RateLimitedLog;
  private readonly windowMs: number;

  constructor(
    private readonly logger: Logger,
    options: { readonly clock: Clock; readonly linesPerWindow: number; readonly windowMs: number },
  ) {
    this.windowMs = options.windowMs;
    this.limiter = new RateLimitedLog({ clock: options.clock, intervalMs: options.windowMs, linesPerInterval: options.linesPerWindow });
  }

  line(level: 'debug' | 'info' | 'warn', text: string): void {
    const admitted = this.limiter.admit(STDERR_KEY);
    if (!admitted) return;
    this.logSuppressed(admitted.suppressed);
    this.logger[level]({ ffmpeg: text }, 'ffmpeg stderr');
  }

  /**
   * Logs the count of lines dropped so far. Called when a run ends too, so the count precedes
   * the offline message; the window is kept, so a restart loop cannot reset the budget.
   */
  reportSuppressed(): void {
    this.logSuppressed(this.limiter.takeSuppressed(STDERR_KEY));
  }

  private logSuppressed(suppressed: number): void {
    if (suppressed === 0) return;
    this.logger.warn({ suppressed, windowMs: this.windowMs }, 'ffmpeg stderr lines suppressed by rate limit');
  }
}

const ERRORISH = /error|invalid|failed|refused|timed out|unreachable|not found|denied|unauthorized|forbidden|corrupt|missing/i;

/** ffmpeg's own informational dump is debug noise; only lines that look like trouble are warnings. */
export function stderrLevel(line: string): 'debug' | 'warn' {
  return ERRORISH.test(line) ? 'warn' : 'debug';
}

export interface FailureInput {
  /** recent stderr lines, already redacted, oldest first */
  lines: readonly string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** rtsp/http input rather than a file */
  network: boolean;
  /** whether ffmpeg got as far as describing the input stream */
  sawStreamInfo: boolean;
  /** time from spawn to exit */
  elapsedMs: number;
  ioTimeoutMs: number;
  /** whether the run delivered any frame */
  deliveredFrames?: boolean;
}

/** Every offline reason the ingest stage reports (CameraStatus.reason, onRestart reason). */
export const OFFLINE_REASONS = [
  'stalled',
  'exited',
  'spawn_failed',
  'not_video',
  'unreachable',
  'unauthorized',
  'not_found',
  'permission_denied',
  'no_stream_info',
  /** the hardware decoding preset failed to start; the camera restarts in software */
  'hw_decode_failed',
] as const;
export type OfflineReason = (typeof OFFLINE_REASONS)[number];

export interface Failure {
  reason: OfflineReason;
  detail: string;
}

const PATTERNS: ReadonlyArray<{ reason: OfflineReason; pattern: RegExp }> = [
  { reason: 'unauthorized', pattern: /401 Unauthorized|403 Forbidden|Unauthorized|authorization failed/i },
  { reason: 'not_found', pattern: /404 Not Found|No such file or directory|Server returned 404/i },
  {
    reason: 'unreachable',
    pattern:
      /Connection refused|Connection timed out|timed out|No route to host|Network is unreachable|Host is unreachable|Name or service not known|Temporary failure in name resolution|Failed to resolve hostname|Connection reset by peer/i,
  },
  {
    reason: 'not_video',
    pattern:
      /Invalid data found when processing input|does not contain any stream|matches no streams|moov atom not found|Could not find codec parameters|Unknown input format/i,
  },
  { reason: 'permission_denied', pattern: /Permission denied/i },
];

function truncate(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** Why ffmpeg exited on its own, from its exit status and last stderr lines (newest match wins). */
export function classifyExit(input: FailureInput): Failure {
  const how = input.signal ? `was killed by ${input.signal}` : `exited with code ${String(input.exitCode)}`;
  for (let i = input.lines.length - 1; i >= 0; i -= 1) {
    const line = input.lines[i] ?? '';
    const hit = PATTERNS.find((p) => p.pattern.test(line));
    if (!hit) continue;
    let reason: OfflineReason = hit.reason;
    // A camera that went silent mid-stream: ffmpeg (5.1.9 and later) gives up at its socket timeout,
    // often before the watchdog's stall timeout. The camera answered and streamed, so it is stalled,
    // not unreachable.
    if (reason === 'unreachable' && input.deliveredFrames === true && /timed out/i.test(line)) {
      return { reason: 'stalled', detail: truncate(`the camera stopped sending: no data for ${input.ioTimeoutMs} ms; ffmpeg ${how}: ${line.trim()}`) };
    }
    // A silent RTSP peer makes ffmpeg give up after its socket timeout with "Invalid data found",
    // which reads like a bad file. Failing at the timeout without ever describing a stream is a
    // camera that does not answer.
    if (reason === 'not_video' && input.network && !input.sawStreamInfo && input.elapsedMs >= input.ioTimeoutMs * 0.9) {
      reason = 'unreachable';
      return { reason, detail: truncate(`no answer within ${input.ioTimeoutMs} ms; ffmpeg ${how}: ${line.trim()}`) };
    }
    return { reason, detail: truncate(`ffmpeg ${how}: ${line.trim()}`) };
  }
  const last = input.lines[input.lines.length - 1];
  const tail = last ? `: ${last.trim()}` : '';
  const endOfStream = input.exitCode === 0 ? ' (end of stream)' : '';
  return { reason: 'exited', detail: truncate(`ffmpeg ${how}${endOfStream}${tail}`) };
}
