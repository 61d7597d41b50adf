import type { Frame } from '../types.js';
import { GreyGrid } from './GreyGrid.js';

/** What makes a frame "moving" (the camera's `motion` settings). */
export interface MotionThresholds {
  /** grey levels a cell must differ from the background, after brightness compensation */
  readonly threshold: number;
  /** share of active cells that must change */
  readonly minAreaFraction: number;
  /** this share or more changing at once is a global change (light, IR switch), not motion */
  readonly globalChangeFraction: number;
}

/**
 * `first_frame`: nothing to compare with yet (also after the frame geometry changes);
 * `global_change`: most of the image changed at once, the background is re-learnt from this frame.
 */
export type MotionVerdict = 'motion' | 'still' | 'global_change' | 'first_frame';

export interface MotionMeasurement {
  readonly verdict: MotionVerdict;
  /** share of active cells that changed, brightness compensated */
  readonly changedFraction: number;
  /** share of active cells whose raw grey level changed (a brightness jump moves nearly all of them) */
  readonly rawChangedFraction: number;
  /** mean brightness of the frame over that of the background */
  readonly brightness: number;
}

export interface MotionDetectorOptions {
  /** cells across and down; default 52 (8x8 pixels of a 416x416 input) */
  readonly gridSize?: number;
  /** every n-th row and column is sampled; default 2 */
  readonly sampleStep?: number;
  /** how fast the background follows the scene: a change that stays is background after about 3x this; default 1000 ms */
  readonly backgroundTimeConstantMs?: number;
}

const DEFAULTS = { gridSize: 52, sampleStep: 2, backgroundTimeConstantMs: 1_000 };
/** brightness ratios from 1/4 to 4 (two stops either way), in 1/64-stop bins (about 1 %) */
const RATIO_LOG2_RANGE = 2;
const RATIO_BINS_PER_STOP = 64;
const MIN_REFERENCE_GREY = 8;

/**
 * Frame differencing in the style of NVR motion detection: each frame's small grey-scale copy
 * is compared with a running-average background. Brightness is compensated first (the frame is
 * scaled to the background's mean), so exposure changes and dusk do not read as motion; a change
 * over most of the image at once (lights switched, IR cut filter) re-learns the background instead.
 * Pure: time comes in with the frame, buffers are made once per frame geometry.
 */
export class MotionDetector {
  private readonly options: Required<MotionDetectorOptions>;
  private grid: GreyGrid | undefined;
  private current = new Float32Array(0);
  private background = new Float32Array(0);
  private backgroundAt: number | undefined;
  private readonly ratioBins = new Uint32Array(2 * RATIO_LOG2_RANGE * RATIO_BINS_PER_STOP + 1);

  constructor(options: MotionDetectorOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Forgets the background: the next frame is a `first_frame`. */
  reset(): void {
    this.backgroundAt = undefined;
  }

  measure(frame: Frame, thresholds: MotionThresholds): MotionMeasurement {
    const grid = this.gridFor(frame);
    const { current, background } = this;
    grid.measure(frame.pixels, current);
    const now = frame.captureTime;
    if (this.backgroundAt === undefined) {
      background.set(current);
      this.backgroundAt = now;
      return { verdict: 'first_frame', changedFraction: 1, rawChangedFraction: 1, brightness: 1 };
    }

    const { activeColumns, activeRows, size } = grid;
    const brightness = this.medianRatio(grid);
    const gain = 1 / brightness;
    const { threshold } = thresholds;
    let changed = 0;
    let rawChanged = 0;
    for (let y = 0; y < activeRows; y++) {
      for (let x = 0, cell = y * size; x < activeColumns; x++, cell++) {
        const value = current[cell]!;
        const reference = background[cell]!;
        if (Math.abs(value * gain - reference) > threshold) changed++;
        if (Math.abs(value - reference) > threshold) rawChanged++;
      }
    }
    const cells = grid.activeCells;
    const changedFraction = changed / cells;
    const rawChangedFraction = rawChanged / cells;

    if (changedFraction >= thresholds.globalChangeFraction || rawChangedFraction >= thresholds.globalChangeFraction) {
      // Lights switched, IR filter flipped, exposure jumped: the old background says nothing any more.
      background.set(current);
      this.backgroundAt = now;
      return { verdict: 'global_change', changedFraction, rawChangedFraction, brightness };
    }
    this.follow(now);
    const verdict = changedFraction >= thresholds.minAreaFraction ? 'motion' : 'still';
    return { verdict, changedFraction, rawChangedFraction, brightness };
  }

  /**
   * The typical brightness change: the median over cells of current / background, from a
   * histogram of log2 ratios (no sort, no allocation). The median, not the mean, so that a large
   * dark object entering is not mistaken for the whole scene getting darker.
   */
  private medianRatio(grid: GreyGrid): number {
    const { current, background, ratioBins } = this;
    const { activeColumns, activeRows, size } = grid;
    ratioBins.fill(0);
    let counted = 0;
    for (let y = 0; y < activeRows; y++) {
      for (let x = 0, cell = y * size; x < activeColumns; x++, cell++) {
        const reference = background[cell]!;
        // near-black cells say nothing about gain
        if (reference < MIN_REFERENCE_GREY || current[cell]! < MIN_REFERENCE_GREY) continue;
        const bin = Math.round((Math.log2(current[cell]! / reference) + RATIO_LOG2_RANGE) * RATIO_BINS_PER_STOP);
        ratioBins[bin < 0 ? 0 : bin >= ratioBins.length ? ratioBins.length - 1 : bin]! += 1;
        counted += 1;
      }
    }
    if (counted === 0) return 1;
    let seen = 0;
    for (let bin = 0; bin < ratioBins.length; bin++) {
      seen += ratioBins[bin]!;
      if (seen * 2 >= counted) return 2 ** (bin / RATIO_BINS_PER_STOP - RATIO_LOG2_RANGE);
    }
    return 1;
  }

  /** Moves the background towards the current frame, so slow changes (dusk, a parked car) become background. */
  private follow(now: number): void {
    const elapsed = Math.max(0, now - (this.backgroundAt ?? now));
    this.backgroundAt = now;
    const alpha = 1 - Math.exp(-elapsed / this.options.backgroundTimeConstantMs);
    if (alpha === 0) return;
    const { current, background } = this;
    for (let i = 0; i < background.length; i++) background[i] = background[i]! + alpha * (current[i]! - background[i]!);
  }

  private gridFor(frame: Frame): GreyGrid {
    const { width, height, letterbox } = frame;
    if (this.grid?.fits(width, height, letterbox)) return this.grid;
    const size = Math.min(this.options.gridSize, width, height);
    const cellSide = Math.floor(Math.min(width, height) / size);
    const step = Math.max(1, Math.min(this.options.sampleStep, cellSide));
    this.grid = new GreyGrid(width, height, letterbox, { size, step });
    this.current = new Float32Array(size * size);
    this.background = new Float32Array(size * size);
    this.backgroundAt = undefined;
    return this.grid;
  }
}
