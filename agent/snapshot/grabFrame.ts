import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CameraConfig } from '../../pipelines/config/siteConfig.js';
import { computeLetterbox } from '../../pipelines/detect/letterbox.js';
import { toError } from '../../pipelines/errors.js';
import type { Frame, Letterbox } from '../../pipelines/types.js';
import { systemClock } from '../clock.js';
import { readBoundedFile } from '../config/readBoundedFile.js';
import { childClosed } from '../ingest/childClosed.js';
import { buildFfmpegInputArgs, ioTimeoutMs, isNetworkInput, letterboxFilter, parseInputVideoSize } from '../ingest/ffmpegArgs.js';
import { classifyExit, FfmpegStderrLog, LineSplitter, stderrLevel, type Failure } from '../ingest/ffmpegStderr.js';
import { FrameCutter } from '../ingest/FrameCutter.js';
import type { HwDecodePlan } from '../ingest/hwDecode.js';
import { redactUrlsInText, type Logger } from '../observe/logger.js';
import { MAX_SNAPSHOT_PIXELS } from './drawOverlay.js';

/** The analysis frames of a `--detect` grab: what the agent's own ingest would deliver to the model. */
export interface AnalysisFrames {
  readonly inputWidth: number;
  readonly inputHeight: number;
  /** how many frames at the camera's analyticsFps */
  readonly frames: number;
  /** each frame in order; the next one only after the promise settles (ffmpeg waits meanwhile) */
  readonly onFrame: (frame: Frame) => Promise<void>;
}

export interface GrabFrameOptions {
  /** source settings (transport, hardware preset), analyticsFps and stallTimeoutSeconds */
  readonly camera: CameraConfig;
  /** the resolved URL or path: may carry credentials, never logged or echoed unredacted */
  readonly sourceUrl: string;
  readonly ffmpegPath: string;
  readonly hwDecode?: HwDecodePlan | undefined;
  /** files only: start this far into the clip */
  readonly seekSeconds?: number | undefined;
  /** the whole grab, analysis included, is killed after this */
  readonly timeoutMs: number;
  /** a private folder for ffmpeg's PNG; the caller removes it */
  readonly workDir: string;
  readonly analysis?: AnalysisFrames | undefined;
  readonly logger: Logger;
}

export type GrabResult =
  | { readonly ok: true; readonly png: Buffer; readonly analysedFrames: number }
  | {
      readonly ok: false;
      readonly failure: Failure;
      /** the last stderr lines, redacted */
      readonly lines: readonly string[];
      /** ffmpeg described the input stream: the source answered */
      readonly sawStreamInfo: boolean;
    };

/** A 4096x4096 RGB PNG cannot exceed this much (worst case is incompressible noise, 48 MiB). */
const MAX_PNG_BYTES = 64 * 1024 * 1024;
const RECENT_LINES = 20;
const MAX_HEADER_CHARS = 64 * 1024;
/** Larger frames are scaled down to fit (normalised coordinates do not care); smaller ones stay native. */
const FIT_FILTER = `scale=w=min(iw\\,${Math.sqrt(MAX_SNAPSHOT_PIXELS)}):h=min(ih\\,${Math.sqrt(MAX_SNAPSHOT_PIXELS)}):force_original_aspect_ratio=decrease`;

/**
 * One ffmpeg run that opens the camera exactly as the agent does (buildFfmpegInputArgs: transport,
 * socket timeout, hardware preset) and writes the frame at the camera's own resolution as a PNG.
 * With `analysis`, the same run also delivers the agent's analysis stream (sampled to
 * analyticsFps, letterboxed to the model input, the agent's own filter) and the PNG is the frame
 * of the last analysis frame: both outputs sample the same decoded frames with the same `fps`
 * filter and stop after the same count, so the detections drawn belong to the picture drawn on.
 * A file is read once, as fast as it decodes (no loop, no real-time pacing), as replay reads it.
 */
export async function grabFrame(options: GrabFrameOptions): Promise<GrabResult> {
  const { camera, sourceUrl, analysis, workDir } = options;
  const log = options.logger.child({ component: 'snapshot', camera: camera.id });
  const network = isNetworkInput(sourceUrl);
  const opened = network ? camera : { ...camera, source: { ...camera.source, loop: false, realtime: false } };
  const frames = analysis?.frames ?? 1;
  const download = options.hwDecode?.downloadFilters ?? [];
  const still = [...(analysis ? [`fps=${camera.analyticsFps}`] : []), ...download, FIT_FILTER, 'format=rgb24'].join(',');
  const pngPath = join(workDir, 'frame.png');
  const args = [
    ...(options.seekSeconds ? ['-ss', String(options.seekSeconds)] : []),
    ...buildFfmpegInputArgs({ camera: opened, sourceUrl, hwDecode: options.hwDecode }),
    ...(analysis ? ['-map', '0:v:0', '-an', '-vf', letterboxFilter(camera.analyticsFps, analysis.inputWidth, analysis.inputHeight, download)] : []),
    ...(analysis ? ['-frames:v', String(frames), '-f', 'rawvideo', '-pix_fmt', 'bgr24', 'pipe:1'] : []),
    // -update 1: each frame replaces the last, so the file ends as the last frame (and its name is taken literally)
    ...['-map', '0:v:0', '-an', '-vf', still, '-frames:v', String(frames), '-update', '1', '-f', 'image2', '-c:v', 'png', `file:${pngPath}`],
  ];
  log.debug({ args: args.map((arg) => redactUrlsInText(arg)) }, 'grabbing a frame');

  const stderrLog = new FfmpegStderrLog(log, { clock: systemClock, linesPerWindow: 20, windowMs: 10_000 });
  const splitter = new LineSplitter();
  const recent: string[] = [];
  let header = '';
  let sourceSize: { width: number; height: number } | undefined;
  let letterbox: Letterbox | undefined;
  const onLine = (raw: string): void => {
    const line = redactUrlsInText(raw);
    recent.push(line);
    if (recent.length > RECENT_LINES) recent.shift();
    stderrLog.line(stderrLevel(line), line);
    if (sourceSize || header.length > MAX_HEADER_CHARS) return;
    header += `${line}\n`;
    sourceSize = line.includes('Video:') ? parseInputVideoSize(header) : undefined;
    if (!sourceSize) return;
    header = '';
    if (!analysis) return;
    letterbox = computeLetterbox(sourceSize.width, sourceSize.height, analysis.inputWidth, analysis.inputHeight);
    pump();
  };

  const startedAt = Date.now();
  const child = spawn(options.ffmpegPath, args, { stdio: ['ignore', analysis ? 'pipe' : 'ignore', 'pipe'], windowsHide: true });
  let timedOut = false;
  let analysisError: Error | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);

  const queue: Uint8Array[] = [];
  let delivered = 0;
  let busy = false;
  let idle: Promise<void> = Promise.resolve();
  /** Hands queued frames to the analysis one at a time; ffmpeg's stdout stays paused meanwhile. */
  const pump = (): void => {
    if (busy) return;
    busy = true;
    idle = (async () => {
      try {
        while (queue.length > 0 && letterbox && !analysisError) {
          const pixels = queue.shift()!;
          delivered += 1;
          const frame: Frame = {
            cameraId: camera.id,
            seq: delivered,
            captureTime: startedAt + Math.round(((delivered - 1) * 1000) / camera.analyticsFps),
            width: analysis!.inputWidth,
            height: analysis!.inputHeight,
            pixels,
            letterbox,
          };
          await analysis!.onFrame(frame);
        }
      } catch (error) {
        analysisError = toError(error);
        child.kill('SIGKILL');
      } finally {
        busy = false;
      }
      if (queue.length === 0) child.stdout?.resume();
    })();
  };
  if (analysis && child.stdout) {
    const cutter = new FrameCutter(analysis.inputWidth * analysis.inputHeight * 3);
    child.stdout.on('data', (chunk: Buffer) => {
      cutter.push(chunk, (pixels) => queue.push(pixels));
      if (queue.length === 0) return;
      // ffmpeg blocks on the full pipe until the detector has caught up: no frame is lost or queued without bound
      child.stdout!.pause();
      pump();
    });
  }
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => splitter.push(text, onLine));
  const exit = await childClosed(child);
  const { spawnError } = exit;
  clearTimeout(timer);
  splitter.flush(onLine);
  pump();
  await idle;
  stderrLog.reportSuppressed();

  const sawStreamInfo = sourceSize !== undefined;
  const fail = (failure: Failure): GrabResult => ({ ok: false, failure, lines: [...recent], sawStreamInfo });
  const last = recent.length > 0 ? `; ffmpeg said: ${recent[recent.length - 1]!.trim()}` : '';
  if (analysisError) throw analysisError;
  if (spawnError) return fail({ reason: 'spawn_failed', detail: `cannot start ${options.ffmpegPath}: ${spawnError.message}` });
  if (timedOut) {
    const got = analysis ? `${delivered} of ${frames} frames` : 'no frame';
    return fail({ reason: 'stalled', detail: `${got} within ${(options.timeoutMs / 1000).toFixed(1)} s${last}` });
  }
  if (exit.code !== 0) {
    return fail(
      classifyExit({
        lines: recent,
        exitCode: exit.code,
        signal: exit.signal,
        network,
        sawStreamInfo,
        elapsedMs: Date.now() - startedAt,
        ioTimeoutMs: ioTimeoutMs(camera.stallTimeoutSeconds),
      }),
    );
  }
  if (analysis && delivered === 0) return fail({ reason: sawStreamInfo ? 'exited' : 'no_stream_info', detail: `no analysis frame decoded${last}` });
  const read = readBoundedFile(pngPath, MAX_PNG_BYTES);
  if (!read.ok) {
    const where = options.seekSeconds ? ` at ${options.seekSeconds} s (is the clip that long?)` : '';
    return fail({ reason: 'exited', detail: `ffmpeg ended without writing a frame${where} (${read.reason})${last}` });
  }
  return { ok: true, png: read.bytes, analysedFrames: delivered };
}
