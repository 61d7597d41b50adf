import type { DoctorContext } from '../../agent/doctor/DoctorContext.js';
import { createRootLogger } from '../../agent/observe/logger.js';
import { parseSiteConfig, type SiteConfigInput } from '../../pipelines/config/siteConfig.js';

export interface DoctorContextOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly ffmpegPath?: string;
  /** replaces the one file camera */
  readonly cameras?: SiteConfigInput['cameras'];
  /** further top-level config sections (outbox, audit, fleet, metrics, mqtt) */
  readonly sections?: Partial<SiteConfigInput>;
}

/** A DoctorContext on a minimal valid config (checks get it as doctorCommand builds it). */
export function doctorContext(options: DoctorContextOptions = {}): DoctorContext {
  const parsed = parseSiteConfig({
    version: 1,
    site: { id: 'unit' },
    mqtt: { urls: ['mqtt://127.0.0.1:1'] },
    cameras: options.cameras ?? [{ id: 'a', source: { url: '/nonexistent.mp4' } }],
    ...options.sections,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return {
    config: parsed.config,
    env: options.env ?? process.env,
    logger: createRootLogger({ level: 'silent' }),
    ffmpeg: { path: options.ffmpegPath ?? '/usr/bin/ffmpeg' },
    timeoutMs: 5_000,
    cameraTimeoutMs: 10_000,
  };
}
