import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { resolveFfmpegPath } from '../../agent/ingest/resolveFfmpegPath.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** H.264 mp4 transcode of the shared clip, for the RTSP test server */
    h264ClipPath: string;
    /** why the transcode failed, when it did (tests that need the clip report it) */
    h264ClipError: string;
  }
}

/** Also set for code outside vitest's inject() reach (child processes, scripts). */
export const H264_CLIP_ENV = 'C5_TEST_H264_CLIP';

const execFileAsync = promisify(execFile);

/**
 * The RTSP server re-muxes H.264 without re-encoding, so the shared AVI (MS-MPEG4) is transcoded
 * once into a cache outside the repo. The cache name carries the source size, so a changed
 * source is transcoded again; concurrent runs write to a private temp file and rename.
 */
export async function ensureH264Clip(source: string): Promise<string> {
  const size = statSync(source).size;
  const cacheDir = join(tmpdir(), 'c5-edge-agent-test-media');
  const target = join(cacheDir, `${basename(source, extname(source))}-${size}.h264.mp4`);
  if (existsSync(target) && statSync(target).size > 0) return target;
  mkdirSync(cacheDir, { recursive: true });
  const ffmpeg = resolveFfmpegPath({ env: process.env, logger: pino({ level: 'silent' }) });
  const partial = `${target}.${process.pid}.tmp.mp4`;
  // 10 fps source: -g 10 puts a keyframe every second, so a client joining or restarting
  // decodes quickly; baseline + yuv420p decodes everywhere; faststart for streaming readers.
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', source, '-an'];
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-crf', '23');
  args.push('-g', '10', '-keyint_min', '10', '-sc_threshold', '0', '-movflags', '+faststart', partial);
  try {
    await execFileAsync(ffmpeg, args, { timeout: 180_000 });
    renameSync(partial, target);
  } finally {
    rmSync(partial, { force: true });
  }
  return target;
}
