import { dirname } from 'node:path';
import type { CameraConfig } from '../../pipelines/config/siteConfig.js';
import { ffmpegInput, inputKind, ioTimeoutMs, isNetworkInput } from '../ingest/ffmpegArgs.js';
import { classifyExit } from '../ingest/ffmpegStderr.js';
import { findOnPath } from '../ingest/resolveFfmpegPath.js';
import { redactUrl, redactUrlsInText } from '../observe/redactUrl.js';
import { fail, pass, warn, type CheckOutcome, type DoctorCheck } from './DoctorCheck.js';
import { ffmpegPathOf, type DoctorContext } from './DoctorContext.js';
import { formatSeconds } from './runDoctorChecks.js';
import { runTool } from './runTool.js';

/** The video stream ffprobe describes. */
export interface ProbedStream {
  readonly codec: string;
  readonly width: number;
  readonly height: number;
  /** frames per second, undefined when the stream does not say */
  readonly fps: number | undefined;
}

/**
 * ffprobe beside the agent's ffmpeg (the same package ships both), else the first on PATH; the
 * bundled npm ffmpeg has none.
 */
export function findFfprobe(ffmpegPath: string, env: NodeJS.ProcessEnv): string | undefined {
  return findOnPath('ffprobe', dirname(ffmpegPath)) ?? findOnPath('ffprobe', env['PATH']);
}

/** One row per enabled camera: it answers, with a video stream whose codec, size and frame rate are shown. */
export function cameraChecks(context: DoctorContext): DoctorCheck[] {
  return context.config.cameras
    .filter((camera) => camera.enabled)
    .map((camera) => ({
      id: `camera:${camera.id}`,
      title: `camera ${camera.id}`,
      family: 'cameras',
      timeoutMs: context.cameraTimeoutMs,
      run: (signal) => checkCamera(camera, context, signal),
    }));
}

async function checkCamera(camera: CameraConfig, context: DoctorContext, signal: AbortSignal): Promise<CheckOutcome> {
  // The resolved URL may carry a password: only its redacted form is ever put into a message.
  const url = camera.source.url;
  const shownUrl = redactUrl(url);
  const details = [`url: ${shownUrl}`, ...(inputKind(url) === 'rtsp' ? [`transport: ${camera.source.transport}`] : [])];
  const ffmpegPath = ffmpegPathOf(context);
  if (ffmpegPath === undefined) return fail('ffmpeg not found (see the ffmpeg row), so no ffprobe either', details);
  const ffprobe = findFfprobe(ffmpegPath, context.env);
  if (ffprobe === undefined) {
    return fail(`ffprobe not found beside ${ffmpegPath} or on PATH: install the OS ffmpeg package, which ships it`, details);
  }
  // Below the check's own limit, so ffprobe says why a camera is silent before it is killed blind.
  const timeoutMs = Math.max(1_000, Math.min(ioTimeoutMs(camera.stallTimeoutSeconds), Math.round(context.cameraTimeoutMs * 0.8)));
  const run = await runTool(ffprobe, probeArgs(camera, timeoutMs), { signal, env: context.env, maxStdoutBytes: 64 * 1024 });
  if (run.spawnError !== undefined) return fail(`${ffprobe} cannot be started (${run.spawnError})`, details);
  if (run.aborted) return fail(`no answer within ${formatSeconds(context.cameraTimeoutMs)}`, details);
  const lines = run.stderr
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => redactUrlsInText(line));
  if (run.exitCode !== 0) {
    const failure = classifyExit({
      lines,
      exitCode: run.exitCode,
      signal: run.signal,
      network: isNetworkInput(url),
      sawStreamInfo: false,
      elapsedMs: run.elapsedMs,
      ioTimeoutMs: timeoutMs,
    });
    return fail(`${failure.reason}: ${failure.detail.replace(/^ffmpeg /, 'ffprobe ')}`, [...details, ...lines.slice(-5)]);
  }
  const stream = parseProbedStream(run.stdout);
  if (stream === undefined) return fail('answered, but has no video stream ffprobe could describe', [...details, ...lines.slice(-5)]);
  const fpsText = stream.fps === undefined ? 'unknown frame rate' : `${formatFps(stream.fps)} fps`;
  const summary = `${stream.codec} ${stream.width}x${stream.height} at ${fpsText}`;
  if (stream.fps !== undefined && stream.fps < camera.analyticsFps) {
    return warn(`${summary}: fewer frames than analyticsFps ${camera.analyticsFps} asks for`, details);
  }
  return pass(summary, details);
}

/** The agent's own input options (transport, socket timeout, `file:` prefix), asking only for the first video stream. */
function probeArgs(camera: CameraConfig, timeoutMs: number): string[] {
  const url = camera.source.url;
  const args = ['-hide_banner', '-v', 'error'];
  switch (inputKind(url)) {
    case 'rtsp':
      args.push('-rtsp_transport', camera.source.transport, '-timeout', String(timeoutMs * 1000));
      break;
    case 'url':
      args.push('-rw_timeout', String(timeoutMs * 1000));
      break;
    case 'file':
      break;
  }
  args.push('-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,avg_frame_rate,r_frame_rate', '-of', 'json', ffmpegInput(url));
  return args;
}

/** ffprobe's JSON: `{"streams": [{"codec_name": "h264", "width": 768, "height": 576, "avg_frame_rate": "25/1", ...}]}`. */
export function parseProbedStream(stdout: string): ProbedStream | undefined {
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch {
    // not JSON (cut off, or not ffprobe): the same as no stream described
    return undefined;
  }
  const streams = (document as { streams?: unknown } | null)?.streams;
  const first: unknown = Array.isArray(streams) ? streams[0] : undefined;
  if (first === null || typeof first !== 'object') return undefined;
  const { codec_name: codec, width, height, avg_frame_rate: avg, r_frame_rate: real } = first as Record<string, unknown>;
  if (typeof codec !== 'string' || !/^[a-z0-9_]{1,32}$/.test(codec) || !isSize(width) || !isSize(height)) return undefined;
  return { codec, width, height, fps: parseRate(avg) ?? parseRate(real) };
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 100_000;
}

/** `25/1`, `30000/1001`; `0/0` (RTSP often says so) is no rate. */
function parseRate(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,9})\/(\d{1,9})$/.exec(value);
  if (!match) return undefined;
  const rate = Number(match[1]) / Number(match[2]);
  return Number.isFinite(rate) && rate > 0 && rate <= 1000 ? rate : undefined;
}

function formatFps(fps: number): string {
  return Number.isInteger(fps) ? String(fps) : fps.toFixed(2);
}
