import { describe, expect, it } from 'vitest';
import { ByteTracker, type ByteTrackerOptions } from '../../../../pipelines/track/ByteTracker.js';
import type { Box, Detection, Track } from '../../../../pipelines/types.js';

const FRAME_MS = 200;
/** a standing person 0.05 wide and 0.2 high, top-left at (x, y) */
const box = (x: number, y = 0.4): Box => [x, y, x + 0.05, y + 0.2];
const person = (x: number, y = 0.4, score = 0.9): Detection => ({ label: 'person', classId: 0, score, box: box(x, y) });
const car = (x: number): Detection => ({ label: 'car', classId: 2, score: 0.9, box: box(x) });

/** Runs frames 0..n-1 (one every 200 ms) and returns each frame's result. */
function run(options: Partial<ByteTrackerOptions>, frames: readonly (readonly Detection[])[]): { active: Track[]; ended: Track[]; lost: number }[] {
  const tracker = new ByteTracker({ options });
  return frames.map((detections, i) => tracker.update(detections, i * FRAME_MS));
}

/** A walker at x = 0.1 + 0.01 i, hidden on the frames listed; optionally something else in its place. */
function walk(frames: number, hidden: readonly number[], replace: (i: number) => Detection[] = () => []): Detection[][] {
  return Array.from({ length: frames }, (_, i) => (hidden.includes(i) ? replace(i) : [person(0.1 + 0.01 * i)]));
}

describe('ByteTracker lost tracks and re-linking', () => {
  const options = { minHits: 2, maxMisses: 2, lostFrames: 10 };

  it('keeps the id of a walker hidden for longer than it coasts, and reports nothing meanwhile', () => {
    // hidden on frames 5..11: coasting on 5 and 6 (misses 1, 2), lost on 7..11, back on 12
    const results = run(options, walk(16, [5, 6, 7, 8, 9, 10, 11]));
    expect(results[6]!.active).toMatchObject([{ id: 1, misses: 2 }]);
    for (const r of results.slice(7, 12)) expect(r).toEqual({ active: [], ended: [], lost: 1 });
    // back at x = 0.22; the prediction (1500 ms at most from frame 4's 0.14, 5e-5 per ms) says 0.215
    expect(results[12]!.active).toMatchObject([{ id: 1, misses: 0 }]);
    expect(results.flatMap((r) => r.ended)).toEqual([]);
    expect(new Set(results.flatMap((r) => r.active.map((t) => t.id)))).toEqual(new Set([1]));
  });

  it('without re-linking the same walker comes back with a new id', () => {
    const results = run({ ...options, relinkDistance: 0 }, walk(16, [5, 6, 7, 8, 9, 10, 11]));
    // frame 12 opens a tentative track, frame 13 confirms it as id 2
    expect(results[13]!.active.map((t) => t.id)).toEqual([2]);
  });

  it('ends a lost track once, after maxMisses + lostFrames missed frames, and never re-links it after', () => {
    // seen on frames 0..3, then gone: misses 1..2 coasting, 3..12 lost, 13 > 2 + 10 ends on frame 16
    const frames = walk(
      30,
      Array.from({ length: 26 }, (_, i) => i + 4),
    );
    frames[20] = [person(0.14)];
    const results = run(options, frames);
    const endedOn = results.flatMap((r, i) => r.ended.map((t) => [i, t.id, t.misses]));
    expect(endedOn).toEqual([[16, 1, 13]]);
    // a person where the walker was last seen, after it ended: a new tentative track, no id 1
    expect(results.slice(17).flatMap((r) => r.active.map((t) => t.id))).toEqual([]);
  });

  it('does not re-link across a gate: too far, too different in size, another kind of object', () => {
    const far = walk(14, [5, 6, 7], (i) => (i === 7 ? [] : []));
    // back 0.3 right of where it should be: 1.5 box heights
    far[8] = [person(0.48)];
    far[9] = [person(0.49)];
    expect(run(options, far)[9]!.active.map((t) => t.id)).toEqual([2]);

    const tall = walk(14, [5, 6, 7]);
    // twice the height at the predicted place
    tall[8] = [{ label: 'person', classId: 0, score: 0.9, box: [0.18, 0.2, 0.23, 0.6] }];
    tall[9] = [{ label: 'person', classId: 0, score: 0.9, box: [0.19, 0.2, 0.24, 0.6] }];
    expect(run(options, tall)[9]!.active.map((t) => t.id)).toEqual([2]);

    const other = walk(14, [5, 6, 7]);
    other[8] = [car(0.18)];
    other[9] = [car(0.19)];
    expect(run(options, other)[9]!.active.map((t) => [t.id, t.label])).toEqual([[2, 'car']]);
  });

  it('keeps the id of a walker whose box jumps as it comes out from behind a post, before the jump can open a new track', () => {
    // frames 0-7 a walker (0.2 high); 8 and 9 going behind a post, still confident, cut to 0.15 and
    // 0.12; on 10 a low-score stump (0.1) and, as the detector boxes the post with the walker, a
    // 0.28-high box (IoU about 0.2 with the track: no first-stage match; score 0.7 opens a tentative
    // track); the same tall box on 11 and 12 (IoU about 0.13 with the stump); whole again from 13.
    const detection = (box: Box, score: number): Detection => ({ label: 'person', classId: 0, score, box });
    const frames: Detection[][] = walk(16, [8, 9, 10, 11, 12]);
    frames[8] = [detection([0.18, 0.45, 0.22, 0.6], 0.85)];
    frames[9] = [detection([0.19, 0.48, 0.22, 0.6], 0.8)];
    frames[10] = [detection([0.2, 0.5, 0.225, 0.6], 0.2), detection([0.19, 0.32, 0.25, 0.6], 0.7)];
    frames[11] = [detection([0.2, 0.32, 0.26, 0.6], 0.8)];
    frames[12] = [detection([0.21, 0.32, 0.27, 0.6], 0.8)];
    const results = run({ minHits: 2 }, frames);
    // Frame 11: the tall box is 0.46 box heights from the stump and 1.4 times the walker's usual
    // height (0.2): re-linked, so the tentative track from frame 10 is never confirmed.
    expect(results.slice(1).map((r) => r.active.map((t) => [t.id, t.misses]))).toEqual(Array.from({ length: 15 }, () => [[1, 0]]));
    expect(results[11]!.active[0]!.box).toEqual([0.2, 0.32, 0.26, 0.6]);
  });

  it('re-links a vehicle across its labels', () => {
    const frames = Array.from({ length: 10 }, (_, i): Detection[] =>
      i >= 3 && i <= 6 ? [] : [{ label: i < 3 ? 'car' : 'truck', classId: i < 3 ? 2 : 7, score: 0.9, box: [0.6, 0.1, 0.75, 0.2] }],
    );
    const results = run(options, frames);
    expect(results[7]!.active).toMatchObject([{ id: 1, group: 'vehicle', label: 'car', misses: 0 }]);
  });
});

describe('ByteTracker crossing paths', () => {
  /** A from the left at +0.02 a frame, B from the right at -0.02, on one row: they pass at frame 7.5. */
  const a = (i: number): number => 0.3 + 0.02 * i;
  const b = (i: number): number => 0.6 - 0.02 * i;
  /** the id of the track whose box starts at x (to the float) */
  const idAt = (tracks: readonly Track[], x: number): number | undefined => tracks.find((t) => Math.abs(t.box[0] - x) < 1e-9)?.id;

  /** both detected on every frame: their boxes overlap from frame 3 to 12 (0.1 wide, 0.04 a frame closer) */
  const bothSeen = (i: number): Detection[] => [
    { label: 'person', classId: 0, score: 0.9, box: [a(i), 0.3, a(i) + 0.1, 0.6] },
    { label: 'person', classId: 0, score: 0.9, box: [b(i), 0.3, b(i) + 0.1, 0.6] },
  ];
  /** B walks in front: A's detection is missing on frames 6..9, while they overlap most */
  const aHidden = (i: number): Detection[] => (i >= 6 && i <= 9 ? [bothSeen(i)[1]!] : bothSeen(i));

  for (const [name, scene] of [
    ['both seen', bothSeen],
    ['A hidden behind B', aHidden],
  ] as const) {
    it(`keeps each walker on its own id when their paths cross (${name})`, () => {
      const results = run(
        { minHits: 2, maxMisses: 2, lostFrames: 10 },
        Array.from({ length: 16 }, (_, i) => scene(i)),
      );
      const first = results[1]!.active;
      const [idA, idB] = [idAt(first, a(1)), idAt(first, b(1))];
      expect([idA, idB]).toEqual([1, 2]);
      for (let i = 10; i < 16; i++) {
        expect(idAt(results[i]!.active, a(i))).toBe(idA);
        expect(idAt(results[i]!.active, b(i))).toBe(idB);
      }
    });
  }

  it('swaps them without prediction, which is what the test above would catch', () => {
    const results = run(
      { minHits: 2, predict: false, relinkDistance: 0, directionWeight: 0 },
      Array.from({ length: 16 }, (_, i) => bothSeen(i)),
    );
    expect(idAt(results[15]!.active, a(15))).toBe(2);
  });
});
