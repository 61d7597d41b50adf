import { spawn as nodeSpawn } from 'node:child_process';
import type { CameraConfig } from '../../pipelines/config/siteConfig.js';
import { childClosed } from '../ingest/childClosed.js';
import { buildFfmpegArgs, ioTimeoutMs, isNetworkInput } from '../ingest/ffmpegArgs.js';
import { classifyExit, LineSplitter, type Failure } from '../ingest/ffmpegStderr.js';
import { FrameCutter } from '../ingest/FrameCutter.js';
import type { HwDecodePlan } from '../ingest/hwDecode.js';
import { redactUrlsInText } from '../observe/logger.js';
import { processCpuSeconds } from './processCpuSeconds.js';

export interface DecodeProbeOptions {
  /** source settings, analyticsFps and stallTimeoutSeconds */
  readonly camera: CameraConfig;
  /** resolved URL or path: may carry credentials, never echoed unredacted */
  readonly sourceUrl: string;
  readonly ffmpegPath: string;
  /** the model's input size: the agent's letterbox */
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly hwDecode?: HwDecodePlan | undefined;
  /** seconds of video to measure after the first frame */
  readonly seconds: number;
  /** the whole probe is killed after this */
  readonly timeoutMs: number;
  readonly spawn?: typeof nodeSpawn;
}

export type DecodeProbe =
  | {
      readonly ok: true;
      /** frames the decoder delivered after the first one */
      readonly frames: number;
      /** seconds of video those frames cover (frames / analyticsFps) */
      readonly videoSeconds: number;
      /** CPU-seconds the decoder used over them */
      readonly cpuSeconds: number;
      /** cpuSeconds / videoSeconds: what one second of this camera costs to decode on this box */
      readonly decodeCpuPerSecond: number;
      readonly wallSeconds: number;
      /** the last frame decoded (BGR24 at the model's input size): a real picture to time the model on */
      readonly sample: Uint8Array;
    }
  | { readonly ok: false; readonly failure: Failure };

/**
 * A file decoded flat out covers seconds of video in a few ticks of CPU time: measure on until the
 * decoder used at least this much (/proc counts in 10 ms ticks: 1 % resolution), as long as the
 * time allows.
 */
const MIN_CPU_SECONDS = 1;
const RECENT_LINES = 20;

/**
 * What decoding one camera costs on this box: its ffmpeg, started with the agent's own arguments
 * (buildFfmpegArgs: transport, timeouts, hardware preset, fps, scale, letterbox), runs for
 * `seconds` of video after the first frame, and its CPU time is read from /proc. A live camera
 * takes `seconds` of wall time; a file decoded as fast as it goes is measured until the CPU time
 * is large enough to read. Frames are counted and thrown away.
 */
export async function probeDecodeCost(options: DecodeProbeOptions): Promise<DecodeProbe> {
  const { camera } = options;
  const spawn = options.spawn ?? nodeSpawn;
  const cutter = new FrameCutter(options.inputWidth * options.inputHeight * 3);
  const args = buildFfmpegArgs({
    camera,
    sourceUrl: options.sourceUrl,
    inputWidth: options.inputWidth,
    inputHeight: options.inputHeight,
    hwDecode: options.hwDecode,
  });
  const startedAt = Date.now();
  const child = spawn(options.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  const recent: string[] = [];
  const splitter = new LineSplitter();
  const onLine = (line: string): void => {
    recent.push(redactUrlsInText(line));
    if (recent.length > RECENT_LINES) recent.shift();
  };

  let frames = 0;
  let sample: Uint8Array | undefined;
  let first: { at: number; cpu: number; frames: number } | undefined;
  let last: { at: number; cpu: number; frames: number } | undefined;
  let done = false;
  let timedOut = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(() => {
    timedOut = true;
    finish();
  }, options.timeoutMs);

  child.stdout?.on('data', (chunk: Buffer) => {
    if (done) return;
    cutter.push(chunk, (pixels) => {
      frames += 1;
      sample = pixels;
    });
    if (frames === 0 || child.pid === undefined) return;
    const cpu = processCpuSeconds(child.pid);
    if (cpu === undefined) return;
    const now = Date.now();
    if (!first) {
      // from the first frame on: connecting, probing the stream and opening the decoder are not the steady cost
      first = { at: now, cpu, frames };
      return;
    }
    last = { at: now, cpu, frames };
    const videoSeconds = (frames - first.frames) / camera.analyticsFps;
    const enoughCpu = cpu - first.cpu >= MIN_CPU_SECONDS || (now - first.at) / 1000 >= options.seconds;
    if (videoSeconds >= options.seconds && enoughCpu) finish();
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => splitter.push(text, onLine));
  const exit = await childClosed(child);
  const { spawnError } = exit;
  clearTimeout(timer);
  splitter.flush(onLine);

  if (spawnError) return { ok: false, failure: { reason: 'spawn_failed', detail: `cannot start ${options.ffmpegPath}: ${spawnError.message}` } };
  if (first && last && sample && last.frames > first.frames && last.cpu > first.cpu) {
    const frames = last.frames - first.frames;
    const videoSeconds = frames / camera.analyticsFps;
    const cpuSeconds = last.cpu - first.cpu;
    return { ok: true, frames, videoSeconds, cpuSeconds, decodeCpuPerSecond: cpuSeconds / videoSeconds, wallSeconds: (last.at - first.at) / 1000, sample };
  }
  const said = recent.length > 0 ? `; ffmpeg said: ${recent[recent.length - 1]!.trim()}` : '';
  if (timedOut)
    return { ok: false, failure: { reason: 'stalled', detail: `too few frames to measure within ${(options.timeoutMs / 1000).toFixed(1)} s${said}` } };
  if (exit.code !== 0 && !done) {
    return {
      ok: false,
      failure: classifyExit({
        lines: recent,
        exitCode: exit.code,
        signal: exit.signal,
        network: isNetworkInput(options.sourceUrl),
        sawStreamInfo: recent.some((line) => line.includes('Video:')),
        elapsedMs: Date.now() - startedAt,
        ioTimeoutMs: ioTimeoutMs(camera.stallTimeoutSeconds),
      }),
    };
  }
  return { ok: false, failure: { reason: 'exited', detail: `the stream ended before enough frames to measure${said}` } };
}
