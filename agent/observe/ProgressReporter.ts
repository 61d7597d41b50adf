import type { Clock } from '../clock.js';

/** Where progress goes (stderr in the CLI); `isTTY` picks the line redrawn in place over plain lines. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** What is counted: frames are shown as counts, bytes as MB. */
export type ProgressUnit = 'frames' | 'bytes';

export interface ProgressReporterOptions {
  /** null: report nothing */
  readonly stream: ProgressStream | null;
  /** what the line is about, e.g. `replay plaza` or `yolox_nano.onnx` */
  readonly label: string;
  readonly unit: ProgressUnit;
  readonly clock: Clock;
  /** null or absent when unknown: then no percentage and no ETA, still a rate */
  readonly total?: number | null;
  /** on a TTY, the line is redrawn at most this often; default 250 ms */
  readonly redrawMs?: number;
  /** not on a TTY, a line at least this far apart unless a 10 % step is crossed; default 5000 ms */
  readonly lineMs?: number;
}

/** Anything that reports progress: the replay frame source and downloads take this, not the class. */
export interface ProgressSink {
  setTotal(total: number | null): void;
  update(done: number): void;
}

const MB = 1024 * 1024;

/**
 * Progress with rate and ETA for one long task (a replay, a download). On a terminal, one line
 * redrawn in place with `\r`, a few times a second at most; in a log file or CI, a plain line
 * every few seconds or at each 10 % step, so the output stays readable. `finish()` writes the
 * last line. The rate is measured from the first `update()`, so set-up time before the first
 * unit of work (loading a model, connecting) does not drag it down.
 */
export class ProgressReporter implements ProgressSink {
  private readonly stream: ProgressStream | null;
  private readonly tty: boolean;
  private readonly options: ProgressReporterOptions;
  private total: number | null;
  private first: { at: number; done: number } | undefined;
  private done = 0;
  private lastDrawAt = -Infinity;
  private lastStep = -1;
  /** length of the line now on a TTY, so a shorter one can blank its tail */
  private drawnLength = 0;
  private ended = false;

  constructor(options: ProgressReporterOptions) {
    this.options = options;
    this.stream = options.stream;
    this.tty = options.stream?.isTTY === true;
    this.total = validTotal(options.total);
  }

  setTotal(total: number | null): void {
    this.total = validTotal(total);
  }

  update(done: number): void {
    if (this.stream === null || this.ended) return;
    const now = this.options.clock.now();
    this.done = done;
    if (this.first === undefined) this.first = { at: now, done };
    const step = this.total === null ? -1 : Math.min(10, Math.floor((done / this.total) * 10));
    if (this.tty) {
      if (now - this.lastDrawAt < (this.options.redrawMs ?? 250)) return;
      this.draw(this.line(now), now);
      return;
    }
    const stepCrossed = step > this.lastStep;
    if (!stepCrossed && now - this.lastDrawAt < (this.options.lineMs ?? 5000)) return;
    this.lastStep = Math.max(this.lastStep, step);
    this.lastDrawAt = now;
    this.stream.write(`${this.line(now)}\n`);
  }

  /** The last line: what was done, in how long, at what rate. Later calls do nothing. */
  finish(): void {
    if (this.stream === null || this.ended) return;
    this.ended = true;
    const now = this.options.clock.now();
    const seconds = this.first === undefined ? 0 : (now - this.first.at) / 1000;
    const rate = this.rate(now);
    const text = `${this.options.label}: done, ${this.amount(this.done)} in ${seconds.toFixed(1)} s${rate === undefined ? '' : ` (${this.rateText(rate)})`}`;
    if (this.tty) {
      this.draw(text, now);
      this.stream.write('\n');
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Stops without a summary (the task failed; its error says why): ends an in-place line. */
  abandon(): void {
    if (this.stream === null || this.ended) return;
    this.ended = true;
    if (this.tty && this.drawnLength > 0) this.stream.write('\n');
  }

  private draw(text: string, now: number): void {
    // Blank what is left of a longer previous line.
    const padding = ' '.repeat(Math.max(0, this.drawnLength - text.length));
    this.stream?.write(`\r${text}${padding}`);
    this.drawnLength = text.length;
    this.lastDrawAt = now;
  }

  /** e.g. `replay plaza: 120/500 frames (24%), 12.5 frames/s, ETA 0:30` */
  private line(now: number): string {
    const { total, done } = this;
    const rate = this.rate(now);
    const parts = [total === null ? this.amount(done) : `${this.amountOf(done, total)} (${Math.floor(Math.min(1, done / total) * 100)}%)`];
    if (rate !== undefined) parts.push(this.rateText(rate));
    if (rate !== undefined && rate > 0 && total !== null) parts.push(`ETA ${formatDuration(Math.max(0, total - done) / rate)}`);
    return `${this.options.label}: ${parts.join(', ')}`;
  }

  /** units per second since the first update; undefined until time has passed */
  private rate(now: number): number | undefined {
    if (this.first === undefined || now <= this.first.at) return undefined;
    return (this.done - this.first.done) / ((now - this.first.at) / 1000);
  }

  private amount(value: number): string {
    return this.options.unit === 'bytes' ? `${mb(value)} MB` : `${value} frames`;
  }

  private amountOf(value: number, total: number): string {
    return this.options.unit === 'bytes' ? `${mb(value)}/${mb(total)} MB` : `${value}/${total} frames`;
  }

  private rateText(rate: number): string {
    return this.options.unit === 'bytes' ? `${mb(rate)} MB/s` : `${rate.toFixed(1)} frames/s`;
  }
}

const mb = (bytes: number): string => (bytes / MB).toFixed(1);

function validTotal(total: number | null | undefined): number | null {
  return total !== undefined && total !== null && Number.isFinite(total) && total > 0 ? total : null;
}

/** `m:ss`, or `h:mm:ss` from an hour; seconds rounded up so an ETA never says 0:00 too early. */
export function formatDuration(seconds: number): string {
  const whole = Math.ceil(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
