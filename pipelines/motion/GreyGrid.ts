import type { Letterbox } from '../types.js';

/**
 * A small grey-scale copy of a letterboxed BGR24 frame: the mean luma of each cell of a
 * `size` x `size` grid, computed in one pass over every `step`-th row and column into buffers
 * made once per frame geometry. Only cells that hold image pixels are active; the letterbox
 * padding never changes and would only dilute the share of cells that did.
 */
export class GreyGrid {
  readonly size: number;
  readonly step: number;
  readonly width: number;
  readonly height: number;
  readonly letterbox: Letterbox;
  /** cells across and down that hold image pixels; cell (x, y) is active when x < activeColumns and y < activeRows */
  readonly activeColumns: number;
  readonly activeRows: number;
  private readonly columnCell: Uint16Array;
  private readonly rowCell: Uint16Array;
  private readonly samples: Uint16Array;
  private readonly sums: Uint32Array;

  constructor(width: number, height: number, letterbox: Letterbox, options: { size: number; step: number }) {
    const { size, step } = options;
    if (!(Number.isInteger(size) && size > 0 && size <= width && size <= height)) {
      throw new RangeError(`grey grid size ${size} must be a positive integer no larger than the frame (${width}x${height})`);
    }
    if (!(Number.isInteger(step) && step > 0)) throw new RangeError(`grey grid step ${step} must be a positive integer`);
    this.size = size;
    this.step = step;
    this.width = width;
    this.height = height;
    this.letterbox = letterbox;
    this.columnCell = new Uint16Array(width);
    this.rowCell = new Uint16Array(height);
    for (let x = 0; x < width; x++) this.columnCell[x] = Math.floor((x * size) / width);
    for (let y = 0; y < height; y++) this.rowCell[y] = Math.floor((y * size) / height);
    const imageWidth = Math.max(1, width - letterbox.padX);
    const imageHeight = Math.max(1, height - letterbox.padY);
    this.activeColumns = this.columnCell[imageWidth - 1]! + 1;
    this.activeRows = this.rowCell[imageHeight - 1]! + 1;
    this.samples = new Uint16Array(size * size);
    for (let y = 0; y < height; y += step) {
      const row = this.rowCell[y]! * size;
      for (let x = 0; x < width; x += step) this.samples[row + this.columnCell[x]!]! += 1;
    }
    this.sums = new Uint32Array(size * size);
  }

  get activeCells(): number {
    return this.activeColumns * this.activeRows;
  }

  /** Whether frames of this geometry can use this grid (the letterbox object is per decoder run). */
  fits(width: number, height: number, letterbox: Letterbox): boolean {
    return width === this.width && height === this.height && letterbox === this.letterbox;
  }

  /** Mean luma (0..255) of every cell into `out` (size * size floats); inactive cells are left at 0. */
  measure(pixels: Uint8Array, out: Float32Array): void {
    const { size, step, width, sums, columnCell, rowCell, samples } = this;
    sums.fill(0);
    const rowStride = width * 3;
    const pixelStride = step * 3;
    for (let y = 0; y < this.height; y += step) {
      const row = rowCell[y]! * size;
      let p = y * rowStride;
      for (let x = 0; x < width; x += step, p += pixelStride) {
        // BT.601 luma in 8.8 fixed point, from the B, G, R bytes
        sums[row + columnCell[x]!]! += pixels[p]! * 29 + pixels[p + 1]! * 150 + pixels[p + 2]! * 77;
      }
    }
    for (let y = 0; y < this.activeRows; y++) {
      for (let x = 0; x < this.activeColumns; x++) {
        const cell = y * size + x;
        out[cell] = sums[cell]! / (samples[cell]! * 256);
      }
    }
  }
}
