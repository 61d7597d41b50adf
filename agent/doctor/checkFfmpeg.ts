import { parseDecoders } from '../ingest/hwDecode.js';
import { fail, pass, warn, type CheckOutcome, type DoctorCheck } from './DoctorCheck.js';
import type { DoctorContext } from './DoctorContext.js';
import { runTool } from './runTool.js';

/**
 * ffmpeg 5 is the oldest the agent's command line is right for: before it, `-timeout` on an RTSP
 * input was the listen timeout (the socket timeout was `-stimeout`), so a silent camera would hang.
 */
export const MIN_FFMPEG_MAJOR = 5;

/** `ffmpeg version 5.1.9-0+deb12u1 Copyright ...` -> `5.1.9-0+deb12u1`; builds from git say `N-111-gabc` or `n6.1`. */
export function parseFfmpegVersion(firstLine: string): { text: string; major: number | undefined } | undefined {
  const match = /^ffmpeg version (\S{1,80})/.exec(firstLine);
  if (!match?.[1]) return undefined;
  const major = /^n?(\d{1,3})\./.exec(match[1]);
  return { text: match[1], major: major?.[1] === undefined ? undefined : Number(major[1]) };
}

/** ffmpeg found (as the agent finds it), its version, and the H.264 and H.265 decoders in it. */
export function ffmpegCheck(context: DoctorContext): DoctorCheck {
  return {
    id: 'ffmpeg',
    title: 'ffmpeg',
    family: 'ffmpeg',
    timeoutMs: context.timeoutMs,
    run: (signal) => checkFfmpeg(context, signal),
  };
}

async function checkFfmpeg(context: DoctorContext, signal: AbortSignal): Promise<CheckOutcome> {
  if (!('path' in context.ffmpeg)) return fail(context.ffmpeg.error);
  const path = context.ffmpeg.path;
  const [version, decoders] = await Promise.all([
    runTool(path, ['-hide_banner', '-version'], { signal, env: context.env }),
    runTool(path, ['-hide_banner', '-decoders'], { signal, env: context.env, maxStdoutBytes: 1024 * 1024 }),
  ]);
  for (const run of [version, decoders]) {
    if (run.spawnError !== undefined) return fail(`${path} cannot be started (${run.spawnError})`);
    if (run.exitCode !== 0)
      return fail(`${path} -hide_banner ${run === version ? '-version' : '-decoders'} exited with code ${String(run.exitCode ?? run.signal)}`);
  }
  const parsed = parseFfmpegVersion(version.stdout.split('\n')[0] ?? '');
  const names = new Set(parseDecoders(decoders.stdout));
  const details = [`path: ${path}`, `version: ${parsed?.text ?? 'unknown'}`];
  const missing = ['h264', 'hevc'].filter((name) => !names.has(name));
  const where = `${path}, version ${parsed?.text ?? 'unknown'}`;
  if (missing.includes('h264')) return fail(`${where} has no H.264 decoder (h264): it cannot decode cameras`, details);
  const hevcCameras = context.config.cameras.filter((camera) => camera.enabled && camera.source.codec === 'hevc').map((camera) => camera.id);
  if (missing.includes('hevc')) {
    const message = `${where} has no H.265 decoder (hevc)`;
    return hevcCameras.length > 0
      ? fail(`${message}; cameras ${hevcCameras.join(', ')} send H.265`, details)
      : warn(`${message}: an H.265 camera could not be decoded`, details);
  }
  if (parsed?.major !== undefined && parsed.major < MIN_FFMPEG_MAJOR) {
    return warn(`${where}: older than ${MIN_FFMPEG_MAJOR}, whose RTSP socket timeout the agent relies on; install a newer ffmpeg`, details);
  }
  return pass(`${where}; H.264 and H.265 decoders present`, details);
}
