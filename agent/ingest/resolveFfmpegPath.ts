import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { IngestError } from '../../pipelines/errors.js';
import type { Logger } from '../observe/logger.js';

export interface ResolveFfmpegDeps {
  /** `ffmpegPath` from the site config */
  configured?: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /**
   * Path of the bundled npm build, or undefined when it is not installed. Defaults to loading
   * `@ffmpeg-installer/ffmpeg`; tests replace it to simulate a box without it.
   */
  bundled?: () => string | undefined;
}

const INSTALL_HINT = 'install the OS package (e.g. `apt-get install ffmpeg`), or set FFMPEG_PATH, or `ffmpegPath` in the site config';

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch (error) {
    // ENOENT / EACCES are the answer to the question, not a failure of the check
    if (error instanceof Error && 'code' in error) return false;
    throw error;
  }
}

/** `which` without shelling out: the first executable `name` in the PATH directories. */
export function findOnPath(name: string, pathVar: string | undefined): string | undefined {
  if (!pathVar) return undefined;
  const names = process.platform === 'win32' ? [name, `${name}.exe`] : [name];
  for (const dir of pathVar.split(delimiter)) {
    // an empty PATH entry means the current directory, which an agent must not trust
    if (!dir || !isAbsolute(dir)) continue;
    for (const candidate of names) {
      const full = join(dir, candidate);
      if (isExecutableFile(full)) return full;
    }
  }
  return undefined;
}

function loadBundled(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@ffmpeg-installer/ffmpeg') as { path?: unknown };
    return typeof mod.path === 'string' ? mod.path : undefined;
  } catch (error) {
    // an optional dependency: absent (or without a binary for this platform) is a normal outcome
    if (error instanceof Error) return undefined;
    throw error;
  }
}

/** An explicit setting that is wrong is an error, never a silent fall-through to another ffmpeg. */
function checkExplicit(value: string, origin: string, env: NodeJS.ProcessEnv): string {
  if (!value.includes('/') && !value.includes('\\')) {
    const found = findOnPath(value, env['PATH']);
    if (found) return found;
    throw new IngestError('ffmpeg_not_found', `ffmpeg "${value}" from ${origin} was not found on PATH; ${INSTALL_HINT}`);
  }
  const full = resolve(value);
  let stat;
  try {
    stat = statSync(full);
  } catch (error) {
    throw new IngestError('ffmpeg_not_found', `ffmpeg path ${full} from ${origin} does not exist; ${INSTALL_HINT}`, {
      cause: error,
    });
  }
  if (!stat.isFile() || !isExecutableFile(full)) {
    throw new IngestError('ffmpeg_not_executable', `ffmpeg path ${full} from ${origin} is not an executable file`);
  }
  return full;
}

/**
 * Absolute path of the ffmpeg binary: site config, then FFMPEG_PATH, then PATH, then the bundled
 * npm build as a last resort.
 */
export function resolveFfmpegPath(deps: ResolveFfmpegDeps): string {
  if (deps.configured) {
    return checkExplicit(deps.configured, 'the site config (ffmpegPath)', deps.env);
  }
  const fromEnv = deps.env['FFMPEG_PATH'];
  if (fromEnv) {
    return checkExplicit(fromEnv, 'the FFMPEG_PATH environment variable', deps.env);
  }
  const onPath = findOnPath('ffmpeg', deps.env['PATH']);
  if (onPath) return onPath;

  const bundled = (deps.bundled ?? loadBundled)();
  if (bundled && isExecutableFile(bundled)) {
    deps.logger.warn(
      { ffmpegPath: bundled },
      'using the ffmpeg bundled by @ffmpeg-installer/ffmpeg: an old static build without current codecs or security fixes; ' +
        'production boxes should install the OS ffmpeg package',
    );
    return resolve(bundled);
  }
  throw new IngestError('ffmpeg_not_found', `ffmpeg was not found (site config, FFMPEG_PATH, PATH, bundled npm build); ${INSTALL_HINT}`);
}
