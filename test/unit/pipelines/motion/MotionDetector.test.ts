import { describe, expect, it } from 'vitest';
import { MotionDetector, type MotionThresholds } from '../../../../pipelines/motion/MotionDetector.js';
import type { Frame, Letterbox } from '../../../../pipelines/types.js';
import { ManualClock } from '../../../helpers/manualClock.js';

/**
 * Small frames whose numbers can be worked out by hand: 8x8 pixels, a 4x4 grid (each cell 2x2
 * pixels, every pixel sampled), each cell one flat grey. With B = G = R = v the detector's luma
 * is (29 + 150 + 77) / 256 x v = v exactly, so each cell's mean is the grey written here.
 */

const SIDE = 8;
const GRID = 4;
const FULL: Letterbox = { scale: 1, padX: 0, padY: 0, sourceWidth: SIDE, sourceHeight: SIDE };
/** the bottom half is letterbox padding: only the top 2 rows of cells (8 cells) hold the image */
const HALF: Letterbox = { scale: 1, padX: 0, padY: 4, sourceWidth: SIDE, sourceHeight: SIDE / 2 };
const thresholds: MotionThresholds = { threshold: 10, minAreaFraction: 0.05, globalChangeFraction: 0.5 };

/** `cells[row][column]` greys of the 4x4 grid, as an 8x8 BGR frame. */
function frame(cells: readonly (readonly number[])[], captureTime: number, letterbox: Letterbox = FULL): Frame {
  const pixels = new Uint8Array(SIDE * SIDE * 3);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) pixels.fill(cells[y >> 1]![x >> 1]!, (y * SIDE + x) * 3, (y * SIDE + x) * 3 + 3);
  }
  return { cameraId: 'cam', seq: 1, captureTime, width: SIDE, height: SIDE, pixels, letterbox };
}

/** A flat grey scene with some cells set: `[row, column, grey]`. */
function scene(grey: number, ...set: (readonly [number, number, number])[]): number[][] {
  const cells = Array.from({ length: GRID }, () => Array<number>(GRID).fill(grey));
  for (const [row, column, value] of set) cells[row]![column] = value;
  return cells;
}

function detector(): {
  clock: ManualClock;
  motion: MotionDetector;
  measure(cells: number[][], options?: { letterbox?: Letterbox; advanceMs?: number; thresholds?: MotionThresholds }): ReturnType<MotionDetector['measure']>;
} {
  const clock = new ManualClock();
  const motion = new MotionDetector({ gridSize: GRID, sampleStep: 1, backgroundTimeConstantMs: 1_000 });
  let first = true;
  return {
    clock,
    motion,
    measure(cells, options = {}) {
      if (!first) clock.advance(options.advanceMs ?? 200);
      first = false;
      return motion.measure(frame(cells, clock.now(), options.letterbox), options.thresholds ?? thresholds);
    },
  };
}

describe('MotionDetector', () => {
  it('has nothing to compare the first frame with', () => {
    expect(detector().measure(scene(100))).toEqual({ verdict: 'first_frame', changedFraction: 1, rawChangedFraction: 1, brightness: 1 });
  });

  it.each([
    { name: 'the same scene is still', next: scene(100), verdict: 'still', changed: 0 },
    { name: 'a cell 9 greys brighter (under the threshold of 10) is still', next: scene(100, [1, 1, 109]), verdict: 'still', changed: 0 },
    { name: 'one cell of 16 changed by 50 greys: 1/16 = 0.0625 >= 0.05 is motion', next: scene(100, [2, 3, 150]), verdict: 'motion', changed: 1 / 16 },
    {
      name: 'seven cells (7/16 = 0.4375) is motion, not yet a global change (0.5)',
      next: scene(100, [0, 0, 20], [0, 1, 20], [0, 2, 20], [0, 3, 20], [1, 0, 20], [1, 1, 20], [1, 2, 20]),
      verdict: 'motion',
      changed: 7 / 16,
    },
  ])('$name', ({ next, verdict, changed }) => {
    const d = detector();
    d.measure(scene(100));
    const result = d.measure(next);
    expect(result.verdict).toBe(verdict);
    expect(result.changedFraction).toBe(changed);
    expect(result.rawChangedFraction).toBe(changed);
  });

  it('takes the median brightness ratio, so a large dark object does not read as the scene darkening', () => {
    const d = detector();
    d.measure(scene(100));
    // 6 cells go to 10 (ratio 0.1), 10 stay (ratio 1): the median is 1; a mean would be 0.66
    const result = d.measure(scene(100, [0, 0, 10], [0, 1, 10], [0, 2, 10], [1, 0, 10], [1, 1, 10], [1, 2, 10]));
    expect(result).toEqual({ verdict: 'motion', changedFraction: 6 / 16, rawChangedFraction: 6 / 16, brightness: 1 });
  });

  it('a brightness jump over the whole image is a global change; the background is re-learnt from it', () => {
    const d = detector();
    d.measure(scene(100));
    const jump = d.measure(scene(125));
    // log2(1.25) = 0.3219 stops = 20.6 bins of 1/64 stop, rounded to 21: 2^(21/64) = 1.2557
    expect(jump.brightness).toBeCloseTo(2 ** (21 / 64), 12);
    // compensated, 125 / 1.2557 = 99.5 is within 10 of 100; raw, every cell moved 25
    expect(jump).toMatchObject({ verdict: 'global_change', changedFraction: 0, rawChangedFraction: 1 });
    expect(d.measure(scene(125))).toMatchObject({ verdict: 'still', changedFraction: 0, brightness: 1 });
  });

  it('compensates brightness first: under a lamp 1.25x brighter, only the object that entered counts', () => {
    const d = detector();
    const noGlobal = { ...thresholds, globalChangeFraction: 1.5 };
    d.measure(scene(100), { thresholds: noGlobal });
    const result = d.measure(scene(125, [3, 3, 40]), { thresholds: noGlobal });
    // 15 of 16 ratios are 1.25: the median; the object cell is 40 / 1.2557 = 31.9 against 100
    expect(result).toMatchObject({ verdict: 'motion', changedFraction: 1 / 16, rawChangedFraction: 1 });
  });

  it('lets a change that stays become background after about three time constants', () => {
    const d = detector();
    d.measure(scene(100));
    const stays = scene(100, [0, 0, 150]);
    // background follows by 1 - e^-1 = 0.632 per second: 100 -> 131.6 -> 143.2 -> 147.5;
    // the gap to 150 is 50, then 18.4, then 6.8 (under 10)
    const verdicts = [1, 2, 3].map(() => d.measure(stays, { advanceMs: 1_000 }).verdict);
    expect(verdicts).toEqual(['motion', 'motion', 'still']);
  });

  it('does not move the background when no time has passed', () => {
    const d = detector();
    d.measure(scene(100));
    const stays = scene(100, [0, 0, 150]);
    const verdicts = [1, 2, 3].map(() => d.measure(stays, { advanceMs: 0 }).verdict);
    expect(verdicts).toEqual(['motion', 'motion', 'motion']);
  });

  it('counts only cells that hold image: the letterbox padding neither changes nor dilutes the share', () => {
    const d = detector();
    d.measure(scene(100), { letterbox: HALF });
    // one of the 8 image cells changed: 1/8, not 1/16
    expect(d.measure(scene(100, [1, 2, 160]), { letterbox: HALF })).toMatchObject({ verdict: 'motion', changedFraction: 1 / 8 });
    // a change below the image (rows 2 and 3 are padding) is not looked at
    const padded = detector();
    padded.measure(scene(100), { letterbox: HALF });
    expect(padded.measure(scene(100, [2, 0, 255], [3, 3, 0]), { letterbox: HALF })).toMatchObject({
      verdict: 'still',
      changedFraction: 0,
      rawChangedFraction: 0,
    });
  });

  it('starts again from a first frame after reset() and when the frame geometry changes', () => {
    const d = detector();
    d.measure(scene(100));
    d.motion.reset();
    expect(d.measure(scene(200)).verdict).toBe('first_frame');
    expect(d.measure(scene(200)).verdict).toBe('still');
    // a new decoder run hands a new letterbox: the grid is rebuilt and the background forgotten
    expect(d.measure(scene(200), { letterbox: { ...FULL } }).verdict).toBe('first_frame');
  });
});
