import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { systemClock } from '../clock.js';
import { runDemo } from './runDemo.js';

export interface DemoCommandOptions {
  /** a video file to use instead of the shared clip */
  readonly clip?: string;
  /** stop after this many seconds; default: until SIGINT/SIGTERM */
  readonly durationSeconds?: number;
  readonly metricsPort?: number;
}

/** `c5-agent demo`: runs until the duration is up or SIGINT/SIGTERM arrives. */
export async function demoCommand(options: DemoCommandOptions, io: CommandIo): Promise<number> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await runDemo({
    clip: options.clip,
    durationSeconds: options.durationSeconds,
    metricsPort: options.metricsPort,
    env: io.env,
    clock: systemClock,
    logger: io.logger,
    version: io.version,
    out: io.out,
    signal: controller.signal,
  });
  return EXIT.ok;
}
