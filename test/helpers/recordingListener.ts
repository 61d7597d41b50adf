import type { CameraStatus, FrameSourceListener } from '../../pipelines/stages.js';
import type { Frame } from '../../pipelines/types.js';

export interface RestartInfo {
  readonly cameraId: string;
  readonly reason: string;
  readonly delayMs: number;
  readonly attempt: number;
}

/**
 * A FrameSourceListener that records what it is told; keeps only the last frame's pixels. With
 * `inspect`, each frame's pixels are looked at on arrival and the frame is released at once, as
 * a pipeline that skips it would (then `lastPixels` stays unset and `buffers` holds every
 * distinct pixel buffer seen).
 */
export class RecordingListener implements FrameSourceListener {
  readonly frames: Array<Omit<Frame, 'pixels' | 'release'> & { receivedAt: number }> = [];
  readonly statuses: CameraStatus[] = [];
  readonly restarts: RestartInfo[] = [];
  readonly buffers = new Set<ArrayBufferLike>();
  lastPixels: Uint8Array | undefined;

  constructor(private readonly inspect?: (pixels: Uint8Array) => void) {}

  onFrame(frame: Frame): void {
    const { pixels, release, ...rest } = frame;
    this.frames.push({ ...rest, receivedAt: Date.now() });
    if (!this.inspect) {
      this.lastPixels = pixels;
      return;
    }
    this.inspect(pixels);
    this.buffers.add(pixels.buffer);
    release?.();
  }

  onStatus(status: CameraStatus): void {
    this.statuses.push(status);
  }

  onRestart(info: RestartInfo): void {
    this.restarts.push(info);
  }

  get lastStatus(): CameraStatus | undefined {
    return this.statuses[this.statuses.length - 1];
  }
}

/** Polls `predicate` until it holds; fails with `what` after `timeoutMs`. Every wait is bounded. */
export async function waitFor(what: string, predicate: () => boolean, timeoutMs: number, pollMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
