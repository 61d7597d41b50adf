import { parseArgs } from 'node:util';
import { AgentError } from '../../pipelines/errors.js';
import type { Logger } from '../observe/logger.js';
import { formatReplaySummary, runReplay } from './runReplay.js';

export interface ReplayCommandIo {
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  readonly version: string;
  readonly out: { write(text: string): unknown };
}

/**
 * `c5-agent replay --config site.yaml [--camera ID] --input clip.mp4 --out decisions.jsonl
 * [--start ISO]`. Exit 1 when a frame failed or was dropped: the decisions would not be the
 * whole story of the clip.
 */
export async function replayCommand(args: readonly string[], io: ReplayCommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      camera: { type: 'string' },
      input: { type: 'string' },
      out: { type: 'string' },
      start: { type: 'string' },
    },
  });
  if (!values.config || !values.input || !values.out) {
    throw new AgentError('usage', 'replay needs --config site.yaml --input clip.mp4 --out decisions.jsonl (and --camera ID when the site has several)');
  }
  const startTime = values.start === undefined ? 0 : Date.parse(values.start);
  if (Number.isNaN(startTime)) throw new AgentError('usage', `--start must be an ISO 8601 time such as 2026-11-29T18:00:00Z, got "${values.start}"`);
  const summary = await runReplay({
    configPath: values.config,
    cameraId: values.camera,
    input: values.input,
    out: values.out,
    startTime,
    env: io.env,
    logger: io.logger,
    version: io.version,
  });
  io.out.write(formatReplaySummary(summary, values.out));
  return summary.failed === 0 && summary.dropped === 0 ? 0 : 1;
}
