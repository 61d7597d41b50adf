import type { SiteConfig } from '../../pipelines/config/siteConfig.js';
import type { Logger } from '../observe/logger.js';

/** What every check family gets: the loaded config (secrets resolved: never print from it) and where to find things. */
export interface DoctorContext {
  readonly config: SiteConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  /** the ffmpeg the agent would run, or why there is none */
  readonly ffmpeg: { readonly path: string } | { readonly error: string };
  /** time limit of most checks */
  readonly timeoutMs: number;
  /** time limit of the checks that open a camera or decode video */
  readonly cameraTimeoutMs: number;
}

/** The path of ffmpeg, or undefined: the ffmpeg row says why. */
export function ffmpegPathOf(context: DoctorContext): string | undefined {
  return 'path' in context.ffmpeg ? context.ffmpeg.path : undefined;
}
