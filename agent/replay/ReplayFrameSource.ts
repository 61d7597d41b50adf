import { spawn, type ChildProcess } from 'node:child_process';
import { computeLetterbox } from '../../pipelines/detect/letterbox.js';
import type { CameraConfig } from '../../pipelines/config/siteConfig.js';
import { IngestError, toError } from '../../pipelines/errors.js';
import type { FrameSource, FrameSourceListener } from '../../pipelines/stages.js';
import type { Frame, Letterbox } from '../../pipelines/types.js';
import { buildFfmpegArgs, parseInputVideoSize } from '../ingest/ffmpegArgs.js';
import { LineSplitter } from '../ingest/ffmpegStderr.js';
import { FrameCutter } from '../ingest/FrameCutter.js';
import { redactUrlsInText, type Logger } from '../observe/logger.js';
import type { ProgressSink } from '../observe/ProgressReporter.js';

export interface ReplayFrameSourceDeps {
  readonly camera: CameraConfig;
  /** the recorded clip */
  readonly input: string;
  readonly ffmpegPath: string;
  readonly inputWidth: number;
  readonly inputHeight: number;
  /** epoch ms of the first frame; frame n (from 0) is at startTime + n * 1000 / analyticsFps */
  readonly startTime: number;
  /** resolves once the consumer has finished every frame handed to it so far */
  readonly drained: () => Promise<void>;
  readonly logger: Logger;
  /** told the expected frame count (clip duration x analyticsFps, once ffmpeg states it) and each frame done */
  readonly progress?: ProgressSink;
}

const RECENT_LINES = 10;

/**
 * A recorded clip as fast as the machine decodes and infers, and never a frame lost: ffmpeg
 * runs without `-re`, and after each frame the reader pauses ffmpeg's stdout until the pipeline
 * is idle again. The paused pipe fills and ffmpeg blocks on its write, so the backlog is at most
 * the frames already cut from one pipe chunk (held in `queue`), however slow the model. Frame
 * times come from the frame index, not the wall clock, so two runs see the same times.
 */
export class ReplayFrameSource implements FrameSource {
  readonly cameraId: string;
  /** resolves with the frame count when ffmpeg ended and every frame was consumed; rejects if ffmpeg failed */
  readonly done: Promise<{ frames: number }>;
  private readonly deps: ReplayFrameSourceDeps;
  private readonly log: Logger;
  private readonly cutter: FrameCutter;
  private readonly stderr = new LineSplitter();
  private readonly queue: Uint8Array[] = [];
  private readonly recent: string[] = [];
  private header = '';
  private letterbox: Letterbox | undefined;
  private child: ChildProcess | undefined;
  private listener: FrameSourceListener | undefined;
  private delivered = 0;
  private pumping = false;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private stopped = false;
  private settle!: { resolve: (value: { frames: number }) => void; reject: (error: Error) => void };

  constructor(deps: ReplayFrameSourceDeps) {
    this.deps = deps;
    this.cameraId = deps.camera.id;
    this.log = deps.logger.child({ component: 'replay', camera: deps.camera.id });
    this.cutter = new FrameCutter(deps.inputWidth * deps.inputHeight * 3);
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // The caller may await `done` late (after start); an early failure must not be unhandled meanwhile.
    this.done.catch(() => undefined);
  }

  start(listener: FrameSourceListener): void {
    if (this.listener || this.stopped) return;
    this.listener = listener;
    const { camera, input, ffmpegPath, inputWidth, inputHeight } = this.deps;
    const replayed = { ...camera, source: { ...camera.source, loop: false, realtime: false } };
    const args = buildFfmpegArgs({ camera: replayed, sourceUrl: input, inputWidth, inputHeight });
    this.log.info({ args: args.map((arg) => redactUrlsInText(arg)) }, 'replaying clip');
    const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    this.child = child;
    child.on('error', (error) => this.fail(new IngestError('replay_spawn_failed', `cannot start ${ffmpegPath}: ${error.message}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      this.cutter.push(chunk, (pixels) => this.queue.push(pixels));
      if (this.queue.length > 0) {
        child.stdout!.pause();
        void this.pump();
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => this.stderr.push(text, (line) => this.onStderrLine(line)));
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      this.stderr.flush((line) => this.onStderrLine(line));
      this.exit = { code, signal };
      this.finishIfDone();
    });
  }

  /** Idempotent; ends ffmpeg early (the replay is then incomplete and `done` rejects). */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (child && this.exit === undefined) {
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGKILL');
      await closed;
    }
    this.fail(new IngestError('replay_stopped', 'replay stopped before the clip ended'));
  }

  private onStderrLine(raw: string): void {
    const line = redactUrlsInText(raw);
    this.recent.push(line);
    if (this.recent.length > RECENT_LINES) this.recent.shift();
    if (this.letterbox) return;
    this.header += `${line}\n`;
    const size = line.includes('Video:') ? parseInputVideoSize(this.header) : undefined;
    if (!size) return;
    // ffmpeg states the input's duration before its streams; unknown (N/A) leaves the total unknown.
    const duration = parseInputDuration(this.header);
    if (duration !== undefined) this.deps.progress?.setTotal(Math.round(duration * this.deps.camera.analyticsFps));
    this.letterbox = computeLetterbox(size.width, size.height, this.deps.inputWidth, this.deps.inputHeight);
    this.header = '';
    void this.pump();
  }

  /** Hands queued frames over one at a time, each only once the previous one is done. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && this.letterbox && !this.stopped) {
        const pixels = this.queue.shift()!;
        this.listener?.onFrame(this.frameAt(this.delivered, pixels, this.letterbox));
        this.delivered += 1;
        await this.deps.drained();
        this.deps.progress?.update(this.delivered);
      }
    } catch (error) {
      this.fail(toError(error));
    } finally {
      this.pumping = false;
    }
    if (this.queue.length === 0 && this.exit === undefined) this.child?.stdout?.resume();
    this.finishIfDone();
  }

  private frameAt(index: number, pixels: Uint8Array, letterbox: Letterbox): Frame {
    const { startTime, camera, inputWidth, inputHeight } = this.deps;
    return {
      cameraId: this.cameraId,
      seq: index + 1,
      captureTime: startTime + Math.round((index * 1000) / camera.analyticsFps),
      width: inputWidth,
      height: inputHeight,
      pixels,
      letterbox,
    };
  }

  private finishIfDone(): void {
    const exit = this.exit;
    if (!exit || this.pumping || (this.queue.length > 0 && this.letterbox)) return;
    const last = this.recent.length > 0 ? `: ${this.recent.join(' | ')}` : '';
    if (exit.code !== 0) {
      this.fail(new IngestError('replay_ffmpeg_failed', `ffmpeg could not decode ${this.deps.input} (exit ${exit.code ?? exit.signal})${last}`));
    } else if (this.queue.length > 0 || !this.letterbox) {
      this.fail(new IngestError('replay_no_stream_info', `ffmpeg never reported the video size of ${this.deps.input}${last}`));
    } else if (this.delivered === 0) {
      this.fail(new IngestError('replay_no_frames', `no frame decoded from ${this.deps.input}${last}`));
    } else {
      if (this.cutter.pendingBytes > 0) this.log.warn({ bytes: this.cutter.pendingBytes }, 'clip ended inside a frame; partial frame ignored');
      this.settle.resolve({ frames: this.delivered });
    }
  }

  private fail(error: Error): void {
    this.settle.reject(error);
  }
}

/** Seconds from ffmpeg's `Duration: 00:01:19.50, start: ...` header line; undefined for `N/A` or none. */
export function parseInputDuration(stderr: string): number | undefined {
  const match = /^\s*Duration: (\d{1,6}):(\d{2}):(\d{2}(?:\.\d{1,6})?)/m.exec(stderr);
  if (!match) return undefined;
  const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
  return seconds > 0 ? seconds : undefined;
}
