/** How patiently one camera's decoder is watched and restarted. */

export interface IngestTimings {
  /** first restart delay; doubles on each consecutive failure */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** each delay is shortened by up to this share, so cameras that failed together retry apart */
  jitter: number;
  /** a run that delivered frames this long resets the backoff to its start */
  healthyResetMs: number;
  /**
   * Minimum wait for a run's first frame: probing an RTSP stream takes seconds (ffmpeg buffers
   * a few seconds of video to learn its parameters), longer than a tight stall timeout.
   */
  startupGraceMs: number;
  /** SIGTERM first so ffmpeg can close the RTSP session; SIGKILL if it ignores it this long */
  killGraceMs: number;
  stderrLinesPerWindow: number;
  stderrWindowMs: number;
  /** frames cut before ffmpeg described its input; beyond this the output is treated as garbage */
  maxFramesWithoutSize: number;
}

export const DEFAULT_INGEST_TIMINGS: IngestTimings = {
  initialBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  jitter: 0.2,
  healthyResetMs: 60_000,
  startupGraceMs: 10_000,
  killGraceMs: 2_000,
  stderrLinesPerWindow: 20,
  stderrWindowMs: 10_000,
  maxFramesWithoutSize: 10,
};
