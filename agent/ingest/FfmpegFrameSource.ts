import { backoffDelayMs } from '../backoff.js';
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import type { Clock, Timer } from '../clock.js';
import { redactUrl, redactUrlsInText, type Logger } from '../observe/logger.js';
import type { AgentMetrics } from '../observe/metrics.js';
import type { CameraConfig } from '../../pipelines/config/siteConfig.js';
import { IngestError, toError } from '../../pipelines/errors.js';
import type { CameraState, CameraStatus, FrameSource, FrameSourceListener } from '../../pipelines/stages.js';
import type { Frame, Letterbox } from '../../pipelines/types.js';
import { computeLetterbox } from '../../pipelines/detect/letterbox.js';
import { buildFfmpegArgs, ioTimeoutMs, isNetworkInput, parseInputVideoCodec, parseInputVideoSize } from './ffmpegArgs.js';
import { classifyExit, FfmpegStderrLog, LineSplitter, stderrLevel, type Failure } from './ffmpegStderr.js';
import { FrameCutter } from './FrameCutter.js';
import { FramePool } from './FramePool.js';
import { HardwareDecoding } from './HardwareDecoding.js';
import type { HwDecodeCapabilities, HwDecodePlan } from './hwDecode.js';
import { DEFAULT_INGEST_TIMINGS, type IngestTimings } from './ingestTimings.js';

export { DEFAULT_INGEST_TIMINGS, type IngestTimings } from './ingestTimings.js';

export interface FfmpegFrameSourceDeps {
  camera: CameraConfig;
  /** resolved source URL or path; may contain credentials, so it is only ever logged redacted */
  sourceUrl: string;
  ffmpegPath: string;
  inputWidth: number;
  inputHeight: number;
  clock: Clock;
  logger: Logger;
  spawn?: typeof nodeSpawn;
  /** jitter source, 0 <= r <= 1 (backoffDelayMs); tests pass () => 1 for exact delays */
  random?: () => number;
  timings?: Partial<IngestTimings>;
  /** what `source.hwDecode: auto` chooses from (probeHwDecode.ts); without it auto decodes in software */
  hwDecodeCapabilities?: HwDecodeCapabilities;
  metrics?: Pick<AgentMetrics, 'hwDecodeFallbacksTotal'>;
}

/** One ffmpeg process and everything learnt from it; a restart gets a fresh one. */
interface Run {
  readonly child: ChildProcess | undefined;
  readonly startedAt: number;
  readonly cutter: FrameCutter;
  readonly stderr: LineSplitter;
  readonly exited: Promise<void>;
  /** the hardware path this run used; undefined for software decoding */
  readonly hwDecode: HwDecodePlan | undefined;
  /** stderr kept until the input size is found in it */
  header: string;
  letterbox: Letterbox | undefined;
  firstFrameAt: number | undefined;
  lastFrameAt: number | undefined;
  framesWithoutSize: number;
  /** last stderr lines, redacted, for the offline reason */
  recent: string[];
  /** set once the run is being torn down; later failures of the same run are ignored */
  ending: Failure | undefined;
  closed: boolean;
  restartScheduled: boolean;
  watchdog: Timer | undefined;
  killTimer: Timer | undefined;
}

const RECENT_LINES = 20;
const MAX_HEADER_CHARS = 64 * 1024;

/**
 * A camera as a stream of frames: one ffmpeg child decoding, sampling and letterboxing, restarted
 * with backoff whenever it exits, stalls or produces garbage. Nothing it does throws to the caller
 * after construction; failures become `offline` statuses and restarts. After stop() the listener
 * is not called again.
 */
export class FfmpegFrameSource implements FrameSource {
  readonly cameraId: string;
  private readonly deps: FfmpegFrameSourceDeps;
  private readonly timings: IngestTimings;
  private readonly log: Logger;
  private readonly stderrLog: FfmpegStderrLog;
  private readonly spawnFn: typeof nodeSpawn;
  private readonly random: () => number;
  private readonly frameBytes: number;
  /** frame buffers, reused across frames and decoder restarts */
  private readonly pool: FramePool;
  private readonly network: boolean;
  private readonly hw: HardwareDecoding;
  private listener: FrameSourceListener | undefined;
  private run: Run | undefined;
  private seq = 0;
  private attempt = 0;
  private restartTimer: Timer | undefined;
  private lastStatus: { state: CameraState; reason: string | undefined } | undefined;
  private stopped = false;
  private stopping: Promise<void> | undefined;

  constructor(deps: FfmpegFrameSourceDeps) {
    const { inputWidth, inputHeight } = deps;
    if (!Number.isInteger(inputWidth) || !Number.isInteger(inputHeight) || inputWidth <= 0 || inputHeight <= 0) {
      throw new IngestError('invalid_input_size', `model input size must be positive integers, got ${inputWidth}x${inputHeight}`);
    }
    this.deps = deps;
    this.cameraId = deps.camera.id;
    this.timings = { ...DEFAULT_INGEST_TIMINGS, ...deps.timings };
    this.log = deps.logger.child({ component: 'ingest', camera: deps.camera.id });
    this.stderrLog = new FfmpegStderrLog(this.log, {
      clock: deps.clock,
      linesPerWindow: this.timings.stderrLinesPerWindow,
      windowMs: this.timings.stderrWindowMs,
    });
    this.spawnFn = deps.spawn ?? nodeSpawn;
    this.random = deps.random ?? Math.random;
    this.frameBytes = inputWidth * inputHeight * 3;
    this.pool = new FramePool(this.frameBytes);
    this.network = isNetworkInput(deps.sourceUrl);
    const { hwDecode, codec } = deps.camera.source;
    this.hw = new HardwareDecoding({
      cameraId: this.cameraId,
      preset: hwDecode,
      codec,
      capabilities: deps.hwDecodeCapabilities,
      logger: this.log,
      metrics: deps.metrics,
    });
  }

  start(listener: FrameSourceListener): void {
    if (this.stopped) return;
    if (this.listener) throw new IngestError('already_started', `camera ${this.cameraId}: start() called twice`);
    this.listener = listener;
    this.log.info({ url: redactUrl(this.deps.sourceUrl), ffmpegPath: this.deps.ffmpegPath }, 'starting camera ingest');
    this.launch();
  }

  /** The running decoder's pid and the frames delivered so far (every run): what agent/capacity/CapacityMonitor.ts samples. */
  decoderUsage(): { pid: number; frames: number } | undefined {
    const pid = this.run && !this.run.closed ? this.run.child?.pid : undefined;
    return pid === undefined ? undefined : { pid, frames: this.seq };
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.restartTimer?.cancel();
    this.restartTimer = undefined;
    const run = this.run;
    if (run) {
      run.watchdog?.cancel();
      if (!run.closed) {
        this.kill(run);
        await run.exited;
      }
    }
    this.stderrLog.reportSuppressed();
    this.log.info('camera ingest stopped');
  }

  private launch(): void {
    this.restartTimer = undefined;
    if (this.stopped) return;
    const { camera, sourceUrl, ffmpegPath, inputWidth, inputHeight, clock } = this.deps;
    const hwDecode = this.hw.plan;
    const args = buildFfmpegArgs({ camera, sourceUrl, inputWidth, inputHeight, hwDecode });
    this.log.info({ args: args.map((arg) => redactUrlsInText(arg)), attempt: this.attempt }, 'spawning ffmpeg');

    let child: ChildProcess | undefined;
    let spawnError: Error | undefined;
    try {
      child = this.spawnFn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    } catch (error) {
      spawnError = toError(error);
    }
    let markExited: () => void = () => undefined;
    const run: Run = {
      child,
      startedAt: clock.now(),
      cutter: new FrameCutter(this.frameBytes, this.pool),
      stderr: new LineSplitter(),
      exited: new Promise<void>((resolve) => {
        markExited = resolve;
      }),
      hwDecode,
      header: '',
      letterbox: undefined,
      firstFrameAt: undefined,
      lastFrameAt: undefined,
      framesWithoutSize: 0,
      recent: [],
      ending: undefined,
      closed: false,
      restartScheduled: false,
      watchdog: undefined,
      killTimer: undefined,
    };
    this.run = run;

    if (!child) {
      run.closed = true;
      markExited();
      this.fail(run, { reason: 'spawn_failed', detail: `cannot start ${ffmpegPath}: ${spawnError?.message ?? 'unknown error'}` });
      return;
    }
    // Node emits 'error' (then 'close') when the binary cannot be executed; an unhandled
    // 'error' on the child or its pipes would crash the whole agent, so each one is handled.
    child.on('error', (error) => this.onChildError(run, error));
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      run.closed = true;
      run.killTimer?.cancel();
      markExited();
      this.onClose(run, code, signal);
    });
    child.stdout?.on('data', (chunk: Buffer) => this.onStdout(run, chunk));
    child.stdout?.on('error', (error) => this.log.warn({ err: error }, 'ffmpeg stdout error'));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => this.onStderr(run, text));
    child.stderr?.on('error', (error) => this.log.warn({ err: error }, 'ffmpeg stderr error'));

    const stallMs = camera.stallTimeoutSeconds * 1000;
    run.watchdog = clock.setInterval(() => this.checkStall(run), Math.max(50, Math.min(1_000, stallMs / 4)));
  }

  private onChildError(run: Run, error: Error): void {
    if (run.child?.pid === undefined) {
      this.fail(run, { reason: 'spawn_failed', detail: `cannot start ${this.deps.ffmpegPath}: ${error.message}` });
      return;
    }
    // e.g. a signal that could not be delivered; 'close' still decides what happens next
    this.log.warn({ err: error }, 'ffmpeg process error');
  }

  private onStdout(run: Run, chunk: Buffer): void {
    if (run !== this.run || run.ending || this.stopped) return;
    run.cutter.push(chunk, (pixels) => this.onPixels(run, pixels));
  }

  private onPixels(run: Run, pixels: Uint8Array): void {
    // A frame never handed on gives its buffer straight back.
    if (run.ending || this.stopped) {
      this.pool.give(pixels);
      return;
    }
    const letterbox = run.letterbox;
    if (!letterbox) {
      this.pool.give(pixels);
      // Without the source size boxes cannot be mapped back, so such frames are useless. One or
      // two can race ahead of the stderr dump; many mean ffmpeg is not saying what it decodes.
      run.framesWithoutSize += 1;
      if (run.framesWithoutSize > this.timings.maxFramesWithoutSize) {
        this.fail(run, { reason: 'no_stream_info', detail: 'ffmpeg delivered frames without reporting the input video size' });
      }
      return;
    }
    const now = this.deps.clock.now();
    run.lastFrameAt = now;
    if (run.firstFrameAt === undefined) {
      run.firstFrameAt = now;
      this.setStatus('online');
    }
    this.seq += 1;
    const frame: Frame = {
      cameraId: this.cameraId,
      seq: this.seq,
      captureTime: now,
      width: this.deps.inputWidth,
      height: this.deps.inputHeight,
      pixels,
      letterbox,
      release: this.pool.releaser(pixels),
    };
    this.notify((listener) => listener.onFrame(frame));
  }

  private onStderr(run: Run, text: string): void {
    if (run !== this.run) return;
    run.stderr.push(text, (line) => this.onStderrLine(run, line));
  }

  private onStderrLine(run: Run, raw: string): void {
    const line = redactUrlsInText(raw);
    run.recent.push(line);
    if (run.recent.length > RECENT_LINES) run.recent.shift();
    if (!run.letterbox && run.header.length < MAX_HEADER_CHARS) {
      run.header += `${line}\n`;
      if (line.includes('Video:')) this.learnSourceSize(run);
    }
    this.stderrLog.line(stderrLevel(line), line);
  }

  private learnSourceSize(run: Run): void {
    const size = parseInputVideoSize(run.header);
    if (!size) return;
    run.letterbox = computeLetterbox(size.width, size.height, this.deps.inputWidth, this.deps.inputHeight);
    if (!run.hwDecode) this.hw.noteInputCodec(parseInputVideoCodec(run.header));
    run.header = '';
    this.log.info({ sourceWidth: size.width, sourceHeight: size.height, letterbox: run.letterbox }, 'input stream');
  }

  private checkStall(run: Run): void {
    if (run !== this.run || run.ending || this.stopped) return;
    const idleMs = this.deps.clock.now() - (run.lastFrameAt ?? run.startedAt);
    const stallMs = this.deps.camera.stallTimeoutSeconds * 1000;
    const limitMs = run.lastFrameAt === undefined ? Math.max(stallMs, this.timings.startupGraceMs) : stallMs;
    if (idleMs < limitMs) return;
    const last = run.recent[run.recent.length - 1];
    const what = run.lastFrameAt === undefined ? 'no first frame' : 'no frame';
    this.fail(run, {
      reason: 'stalled',
      detail: `${what} for ${(idleMs / 1000).toFixed(1)} s${last ? `; last ffmpeg output: ${last.trim()}` : ''}`,
    });
  }

  private onClose(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    if (run !== this.run || this.stopped) return;
    run.stderr.flush((line) => this.onStderrLine(run, line));
    if (run.cutter.pendingBytes > 0) {
      this.log.warn({ bytes: run.cutter.pendingBytes, frameBytes: this.frameBytes }, 'ffmpeg output ended inside a frame; partial frame dropped');
    }
    if (!run.ending) {
      this.fail(
        run,
        classifyExit({
          lines: run.recent,
          exitCode: code,
          signal,
          network: this.network,
          sawStreamInfo: run.letterbox !== undefined,
          elapsedMs: this.deps.clock.now() - run.startedAt,
          ioTimeoutMs: ioTimeoutMs(this.deps.camera.stallTimeoutSeconds),
          deliveredFrames: run.lastFrameAt !== undefined,
        }),
      );
      return;
    }
    this.scheduleRestart(run);
  }

  /** The one way a run ends: report offline, make sure the process is gone, then restart. */
  private fail(run: Run, cause: Failure): void {
    if (run !== this.run || run.ending || this.stopped) return;
    const fallback =
      run.hwDecode && run.firstFrameAt === undefined
        ? this.hw.onFailedStart(run.hwDecode, { lines: run.recent, sawStreamInfo: run.letterbox !== undefined, failure: cause })
        : undefined;
    // not the camera's fault: the software retry starts at the shortest backoff
    if (fallback) this.attempt = 0;
    const failure = fallback ?? cause;
    run.ending = failure;
    run.watchdog?.cancel();
    this.stderrLog.reportSuppressed();
    this.log.warn({ reason: failure.reason, detail: failure.detail }, 'camera offline');
    this.setStatus('offline', failure.reason, failure.detail);
    if (run.closed) this.scheduleRestart(run);
    else this.kill(run);
  }

  private kill(run: Run): void {
    const child = run.child;
    if (!child || run.closed) return;
    child.kill('SIGTERM');
    run.killTimer?.cancel();
    run.killTimer = this.deps.clock.setTimeout(() => {
      if (!run.closed) {
        this.log.warn({ graceMs: this.timings.killGraceMs }, 'ffmpeg ignored SIGTERM; sending SIGKILL');
        child.kill('SIGKILL');
      }
    }, this.timings.killGraceMs);
  }

  private scheduleRestart(run: Run): void {
    if (run !== this.run || this.stopped || run.restartScheduled || !run.ending) return;
    run.restartScheduled = true;
    const now = this.deps.clock.now();
    if (run.firstFrameAt !== undefined && now - run.firstFrameAt >= this.timings.healthyResetMs) this.attempt = 0;
    this.attempt += 1;
    const { initialBackoffMs, maxBackoffMs, jitter } = this.timings;
    const delayMs = backoffDelayMs(this.attempt - 1, initialBackoffMs, maxBackoffMs, this.random, jitter);
    const info = { cameraId: this.cameraId, reason: run.ending.reason, delayMs, attempt: this.attempt };
    this.log.info(info, 'restarting ffmpeg after backoff');
    this.notify((listener) => listener.onRestart(info));
    this.restartTimer = this.deps.clock.setTimeout(() => this.launch(), delayMs);
  }

  private setStatus(state: CameraState, reason?: string, detail?: string): void {
    // Repeated identical failures are restarts, not state changes; onRestart reports those.
    if (this.lastStatus?.state === state && this.lastStatus.reason === reason) return;
    this.lastStatus = { state, reason };
    const status: CameraStatus = {
      cameraId: this.cameraId,
      state,
      since: this.deps.clock.now(),
      ...(reason === undefined ? {} : { reason }),
      ...(detail === undefined ? {} : { detail: redactUrlsInText(detail) }),
    };
    this.notify((listener) => listener.onStatus(status));
  }

  /** A listener bug must not take the decoder down with it, nor escape into a stream handler. */
  private notify(call: (listener: FrameSourceListener) => void): void {
    const listener = this.listener;
    if (!listener || this.stopped) return;
    try {
      call(listener);
    } catch (error) {
      this.log.error({ err: toError(error) }, 'frame source listener threw');
    }
  }
}
