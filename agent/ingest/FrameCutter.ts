import type { FramePool } from './FramePool.js';

/**
 * Cuts ffmpeg's raw video byte stream into frames. Pipe chunks (typically 64 KiB) never line up
 * with frame boundaries, so bytes are copied into the frame being filled; each completed frame
 * is handed off to later stages and is not written again. Its buffer comes from the pool when
 * there is one (given back by the last stage that reads it), else it is a fresh allocation.
 */
export class FrameCutter {
  readonly frameBytes: number;
  private readonly pool: FramePool | undefined;
  private current: Uint8Array | undefined;
  private filled = 0;

  constructor(frameBytes: number, pool?: FramePool) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) {
      throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    }
    if (pool && pool.frameBytes !== frameBytes) throw new RangeError(`pool buffers are ${pool.frameBytes} bytes, frames ${frameBytes}`);
    this.frameBytes = frameBytes;
    this.pool = pool;
  }

  /** Bytes of the frame being filled; non-zero after a stream ends means a truncated frame. */
  get pendingBytes(): number {
    return this.filled;
  }

  /** Calls `emit` once per completed frame, in stream order. */
  push(chunk: Uint8Array, emit: (frame: Uint8Array) => void): void {
    let offset = 0;
    while (offset < chunk.length) {
      // Allocated lazily so a stream that ends exactly on a boundary leaves no idle buffer.
      const frame = (this.current ??= this.pool ? this.pool.take() : new Uint8Array(this.frameBytes));
      const take = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      frame.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameBytes) {
        this.current = undefined;
        this.filled = 0;
        emit(frame);
      }
    }
  }

  /** Drops a partial frame, e.g. when the decoder restarts and its next byte starts a new frame. */
  reset(): void {
    // the partial buffer was never handed off, so it is reused
    this.filled = 0;
  }
}
