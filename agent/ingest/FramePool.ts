/**
 * Pixel buffers of one camera's frames, reused. A frame is 519 KB at 416x416 BGR; allocating one
 * per frame costs a zero-filled allocation and, at tens of frames a second, regular garbage
 * collections on the thread that also runs the model. The stage that reads a frame's pixels last
 * hands the buffer back through `Frame.release`; a buffer never handed back is simply collected,
 * so a forgotten release costs an allocation, never a wrong frame.
 */
export class FramePool {
  readonly frameBytes: number;
  private readonly free: Uint8Array[] = [];
  private readonly maxFree: number;
  private created = 0;

  /** `maxFree`: buffers kept for reuse at most (one being filled, one waiting, one in inference, one spare). */
  constructor(frameBytes: number, maxFree = 4) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    this.frameBytes = frameBytes;
    this.maxFree = maxFree;
  }

  /** Buffers allocated so far: stops growing once frames are released as fast as they are cut. */
  get allocated(): number {
    return this.created;
  }

  /** A buffer of frameBytes whose old contents are to be overwritten whole. */
  take(): Uint8Array {
    const reused = this.free.pop();
    if (reused) return reused;
    this.created += 1;
    return new Uint8Array(this.frameBytes);
  }

  /** Takes a buffer back; the caller must not touch it again. */
  give(buffer: Uint8Array): void {
    if (buffer.length !== this.frameBytes || this.free.length >= this.maxFree || this.free.includes(buffer)) return;
    this.free.push(buffer);
  }

  /**
   * The release function for one frame's buffer: gives it back the first time it is called, and
   * does nothing after, so a stage calling it twice cannot put one buffer under two frames.
   */
  releaser(buffer: Uint8Array): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.give(buffer);
    };
  }
}
