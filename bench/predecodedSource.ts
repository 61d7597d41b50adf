import type { FrameSource, FrameSourceListener } from '../pipelines/stages.js';
import type { Frame } from '../pipelines/types.js';

/**
 * A camera made of frames decoded in advance, offered every `intervalMs` (faster than any model
 * here takes them), looping: the agent behind its decoder, with the decoder's cost taken out.
 */
export class PredecodedSource implements FrameSource {
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(
    readonly cameraId: string,
    private readonly frames: readonly Frame[],
    private readonly intervalMs: number,
  ) {}

  start(listener: FrameSourceListener): void {
    listener.onStatus({ cameraId: this.cameraId, state: 'online', since: Date.now() });
    this.timer = setInterval(() => {
      const frame = this.frames[this.seq % this.frames.length]!;
      this.seq += 1;
      listener.onFrame({ ...frame, cameraId: this.cameraId, seq: this.seq, captureTime: Date.now() });
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }
}
