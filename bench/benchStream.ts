import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { promisify } from 'node:util';
import { startRtspServer, type RtspServer } from '../test/helpers/rtspServer.js';
import { ensureH264Clip } from '../test/helpers/h264Clip.js';

const execFileAsync = promisify(execFile);

/** What the capacity phase's cameras read: a file, or an RTSP stream every camera opens for itself. */
export interface BenchStream {
  /** `file`, `sd` or `1080p` */
  readonly label: string;
  /** the cameras' source URL or path */
  readonly url: string;
  /** a file read at its own rate; an RTSP stream is live by nature */
  readonly isFile: boolean;
  readonly description: string;
  stop(): Promise<void>;
}

export type BenchStreamKind = 'file' | 'sd' | '1080p';

/**
 * A city camera's main stream as issue 17 describes it: 1920x1080 H.264 (main profile), 15 fps,
 * 4 Mbit/s, a keyframe every 2 s. Made from the shared clip at bench time and cached outside the
 * repo (named after the source size, so a changed source is encoded again).
 */
export async function ensure1080pClip(ffmpegPath: string, source: string): Promise<string> {
  const size = statSync(source).size;
  const cacheDir = join(tmpdir(), 'c5-edge-agent-bench-media');
  const target = join(cacheDir, `${basename(source, extname(source))}-${size}.1080p15.h264.mp4`);
  if (existsSync(target) && statSync(target).size > 0) return target;
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${target}.${process.pid}.tmp.mp4`;
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', source, '-an'];
  args.push('-vf', 'fps=15,scale=1920:1080:flags=bicubic', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p');
  args.push('-b:v', '4M', '-maxrate', '4M', '-bufsize', '8M', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-movflags', '+faststart', partial);
  try {
    await execFileAsync(ffmpegPath, args, { timeout: 600_000 });
    renameSync(partial, target);
  } finally {
    rmSync(partial, { force: true });
  }
  return target;
}

/**
 * The stream of a bench run. `file`: the clip (`--clip`, default the shared one) read by each
 * camera's ffmpeg at its own rate, as before. `sd` and `1080p`: the shared clip as H.264 (its own
 * 768x576 at 10 fps, or the 1080p main stream above) served by the GStreamer RTSP server the tests
 * use, one session per camera: the production path, RTSP depacketising included.
 */
export async function openBenchStream(kind: BenchStreamKind, options: { ffmpegPath: string; clipPath: string }): Promise<BenchStream> {
  if (kind === 'file') {
    return { label: 'file', url: options.clipPath, isFile: true, description: `${options.clipPath}, read at its own rate`, stop: () => Promise.resolve() };
  }
  const file = kind === '1080p' ? await ensure1080pClip(options.ffmpegPath, options.clipPath) : await ensureH264Clip(options.clipPath);
  const server: RtspServer = await startRtspServer({ file });
  const description = kind === '1080p' ? '1920x1080 H.264 main, 15 fps, 4 Mbit/s, GOP 2 s' : '768x576 H.264, 10 fps';
  return { label: kind, url: server.url, isFile: false, description: `${description} over RTSP (${file})`, stop: () => server.stop() };
}
