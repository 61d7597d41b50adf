import { AgentError } from '../../pipelines/errors.js';
import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { formatReplaySummary, runReplay } from './runReplay.js';

export interface ReplayOptions {
  readonly config: string;
  /** needed when the site has several cameras */
  readonly camera?: string;
  readonly input: string;
  readonly out: string;
  /** the tracker's live tracks per processed frame (JSON Lines), for tracking metrics */
  readonly tracks?: string;
  /** ISO 8601 wall time of the clip's first frame; default the epoch, so two runs write the same file */
  readonly start?: string;
}

/**
 * `c5-agent replay`: a camera's pipeline over a recorded clip. Exit 1 when a frame failed or was
 * dropped: the decisions would not be the whole story of the clip.
 */
export async function replayCommand(options: ReplayOptions, io: CommandIo): Promise<number> {
  const startTime = options.start === undefined ? 0 : Date.parse(options.start);
  if (Number.isNaN(startTime)) throw new AgentError('usage', `--start must be an ISO 8601 time such as 2026-11-29T18:00:00Z, got "${options.start}"`);
  const summary = await runReplay({
    configPath: options.config,
    cameraId: options.camera,
    input: options.input,
    out: options.out,
    tracksOut: options.tracks,
    startTime,
    env: io.env,
    logger: io.logger,
    version: io.version,
  });
  io.out.write(formatReplaySummary(summary, options.out));
  return summary.failed === 0 && summary.dropped === 0 ? EXIT.ok : EXIT.failure;
}
