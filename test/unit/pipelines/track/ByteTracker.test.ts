import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteTracker, createTrackIdSource } from '../../../../pipelines/track/ByteTracker.js';
import type { Box, Detection } from '../../../../pipelines/types.js';

const person = (box: Box, score = 0.9): Detection => ({ label: 'person', classId: 0, score, box });
const car = (box: Box, score = 0.9): Detection => ({ label: 'car', classId: 2, score, box });
const at = (x: number, y = 0.1, w = 0.1, h = 0.3): Box => [x, y, x + w, y + h];

describe('ByteTracker', () => {
  it('reports a track once it is confirmed (minHits), then keeps its id as the object moves', () => {
    const tracker = new ByteTracker();
    expect(tracker.update([person(at(0.1))], 0).active).toEqual([]);
    const [confirmed] = tracker.update([person(at(0.11))], 200).active;
    expect(confirmed).toMatchObject({ id: 1, firstSeen: 0, lastSeen: 200, misses: 0 });
    const [moved] = tracker.update([person(at(0.12))], 400).active;
    expect(moved!.id).toBe(1);
    expect(moved!.scores).toHaveLength(3);
    expect(moved!.anchors.at(-1)![0]).toBeCloseTo(0.17, 12);
  });

  it('does not trade one good match for two poor ones: a walker keeps her box as she passes a hidden stander', () => {
    const tracker = new ByteTracker({ options: { minHits: 1, matchIou: 0.3, directionWeight: 0.2 } });
    const walkerAt = (x: number): Box => [x, 0.4, x + 0.05, 0.55];
    const stander: Box = [0.36, 0.4, 0.41, 0.55];
    const first = tracker.update([person(walkerAt(0.3)), person(stander)], 0).active;
    const walkerId = first.find((t) => t.box[0] === 0.3)!.id;
    const standerId = first.find((t) => t.box[0] === 0.36)!.id;
    // the walker moves right 0.01 a frame; the stander is seen twice more, then hidden behind her
    for (let k = 1; k <= 4; k++) tracker.update(k <= 2 ? [person(walkerAt(0.3 + 0.01 * k)), person(stander)] : [person(walkerAt(0.3 + 0.01 * k))], 200 * k);
    // The walker, predicted at 0.35..0.40, and a sliver of the stander, coming out at her left.
    // walker: D1 IoU 0.923 (cost 0.077), D2 IoU 0.385 plus 0.2 for going back (0.815); stander:
    // D1 IoU 0.724 (0.276), D2 IoU 0.2 (refused). Both matched (walker D2, stander D1) costs 1.091;
    // walker D1 with the stander and D2 left over at 0.45 each costs 0.977.
    const d1: Box = [0.352, 0.4, 0.402, 0.55];
    const d2: Box = [0.335, 0.4, 0.375, 0.55];
    const after = tracker.update([person(d1), person(d2)], 1000).active;
    expect(after.find((t) => t.id === walkerId)!.box).toEqual(d1);
    // the stander's sliver is re-linked to her (0.2 box heights from where she stood)
    expect(after.find((t) => t.id === standerId)!.box).toEqual(d2);
  });

  it('confirms at once with minHits 1', () => {
    const tracker = new ByteTracker({ options: { minHits: 1 } });
    expect(tracker.update([person(at(0.1))], 0).active.map((t) => t.id)).toEqual([1]);
  });

  it('forgets a tentative track that misses a frame, without spending an id on it', () => {
    const tracker = new ByteTracker();
    tracker.update([person(at(0.1))], 0);
    tracker.update([], 200);
    tracker.update([person(at(0.5))], 400);
    expect(tracker.update([person(at(0.5))], 600).active.map((t) => t.id)).toEqual([1]);
  });

  it('second stage: a low-score detection keeps a live track going but never opens one', () => {
    const tracker = new ByteTracker({ options: { minHits: 1 } });
    tracker.update([person(at(0.1))], 0);
    // the person is half hidden: the detector is unsure, but the box is where the track is
    const [kept] = tracker.update([person(at(0.105), 0.3)], 200).active;
    expect(kept).toMatchObject({ id: 1, misses: 0, score: 0.3 });
    // an unsure detection far from any track is dropped
    const next = tracker.update([person(at(0.11)), person(at(0.7), 0.3)], 400).active;
    expect(next.map((t) => t.id)).toEqual([1]);
  });

  it('only opens tracks for detections at or above newTrackScore', () => {
    const tracker = new ByteTracker({ options: { minHits: 1 } });
    expect(tracker.update([person(at(0.1), 0.55)], 0).active).toEqual([]);
    expect(tracker.update([person(at(0.1), 0.65)], 200).active).toHaveLength(1);
  });

  it('follows an object across a missed frame with constant-velocity prediction', () => {
    // 0.04 a frame with boxes 0.1 wide: consecutive boxes overlap (IoU 0.43), but after a missed
    // frame the gap is 0.08 (IoU 0.11, below matchIou) unless the track is moved along first
    const run = (predict: boolean): number[] => {
      // re-linking by distance would also bridge the gap: off here, to see the IoU stage alone
      const tracker = new ByteTracker({ options: { predict, minHits: 1, maxMisses: 3, relinkDistance: 0 } });
      const ids = new Set<number>();
      for (let i = 0; i < 10; i++) {
        const detections = i === 5 ? [] : [person(at(0.02 + 0.04 * i))];
        for (const t of tracker.update(detections, i * 200).active) ids.add(t.id);
      }
      return [...ids];
    };
    expect(run(true)).toEqual([1]);
    expect(run(false)).toEqual([1, 2]);
  });

  it('never associates across classes', () => {
    const tracker = new ByteTracker({ options: { minHits: 1 } });
    const [p] = tracker.update([person(at(0.1))], 0).active;
    const next = tracker.update([car(at(0.1))], 200).active;
    expect(next.map((t) => t.label).sort()).toEqual(['car', 'person']);
    expect(next.find((t) => t.label === 'car')!.id).not.toBe(p!.id);
  });

  it('lets a track survive maxMisses frames, then ends it (no lost frames) and never reuses its id', () => {
    const tracker = new ByteTracker({ options: { maxMisses: 2, lostFrames: 0, minHits: 1 } });
    const [t] = tracker.update([person(at(0.5))], 0).active;
    expect(tracker.update([], 200).active[0]).toMatchObject({ id: t!.id, misses: 1 });
    expect(tracker.update([], 400).active[0]).toMatchObject({ id: t!.id, misses: 2 });
    const gone = tracker.update([], 600);
    expect(gone.active).toEqual([]);
    expect(gone.ended.map((e) => e.id)).toEqual([t!.id]);
    const [again] = tracker.update([person(at(0.5))], 800).active;
    expect(again!.id).toBeGreaterThan(t!.id);
  });

  it('picks up a coasting track again when its object reappears', () => {
    const tracker = new ByteTracker({ options: { maxMisses: 5, minHits: 1 } });
    tracker.update([person(at(0.3))], 0);
    tracker.update([], 200);
    tracker.update([], 400);
    expect(tracker.update([person(at(0.31))], 600).active).toMatchObject([{ id: 1, misses: 0 }]);
  });

  it('matches the best overall assignment between neighbours', () => {
    const tracker = new ByteTracker({ options: { minHits: 1, predict: false } });
    const a = tracker.update([person(at(0.0, 0, 0.2, 0.4)), person(at(0.15, 0, 0.2, 0.4))], 0).active;
    const b = tracker.update([person(at(0.16, 0, 0.2, 0.4)), person(at(0.01, 0, 0.2, 0.4))], 200).active;
    const idAt = (tracks: typeof a, x: number): number => tracks.find((t) => Math.abs(t.box[0] - x) < 0.005)!.id;
    expect(idAt(b, 0.01)).toBe(idAt(a, 0.0));
    expect(idAt(b, 0.16)).toBe(idAt(a, 0.15));
  });

  it('bounds the score and anchor history', () => {
    const tracker = new ByteTracker({ options: { historyLength: 3, minHits: 1, highScore: 0.1, newTrackScore: 0.1 } });
    let tracks = tracker.update([person(at(0.1), 0.1)], 0).active;
    for (let i = 1; i <= 5; i++) tracks = tracker.update([person(at(0.1), 0.1 + i / 10)], i).active;
    expect(tracks[0]!.scores.map((s) => Math.round(s * 10))).toEqual([4, 5, 6]);
    expect(tracks[0]!.anchors).toHaveLength(3);
  });

  it('takes ids from a per-camera source, so a rebuilt tracker does not reuse them', () => {
    const ids = createTrackIdSource();
    const first = new ByteTracker({ options: { minHits: 1 }, nextTrackId: ids });
    first.update([person(at(0.1)), person(at(0.5))], 0);
    const second = new ByteTracker({ options: { minHits: 1 }, nextTrackId: ids });
    expect(second.update([person(at(0.1))], 0).active.map((t) => t.id)).toEqual([3]);
  });
});

describe('ByteTracker properties', () => {
  const box = fc
    .tuple(
      fc.double({ min: 0, max: 0.8, noNaN: true }),
      fc.double({ min: 0, max: 0.8, noNaN: true }),
      fc.double({ min: 0.02, max: 0.2, noNaN: true }),
      fc.double({ min: 0.02, max: 0.2, noNaN: true }),
    )
    .map(([x, y, w, h]): Box => [x, y, x + w, y + h]);
  const detection = fc
    .record({
      box,
      score: fc.double({ min: 0, max: 1, noNaN: true }),
      classId: fc.constantFrom(0, 2),
    })
    .map(({ box: b, score, classId }): Detection => ({ label: classId === 0 ? 'person' : 'car', classId, score, box: b }));
  // A frame is either fresh random boxes or the previous frame's boxes jittered, so tracks both live long and churn.
  const frames = fc.array(fc.tuple(fc.array(detection, { maxLength: 8 }), fc.boolean(), fc.double({ min: -0.02, max: 0.02, noNaN: true })), {
    minLength: 1,
    maxLength: 40,
  });
  const options = fc.record({
    minHits: fc.integer({ min: 1, max: 3 }),
    maxMisses: fc.integer({ min: 0, max: 4 }),
    predict: fc.boolean(),
  });

  it('never gives two live tracks the same id, and never reuses an id once ended', () => {
    fc.assert(
      fc.property(options, frames, (opts, sequence) => {
        const tracker = new ByteTracker({ options: opts });
        const ended = new Set<number>();
        let previous: Detection[] = [];
        const seen = new Set<number>();
        sequence.forEach(([fresh, repeat, jitter], i) => {
          const detections = repeat ? previous.map((d) => ({ ...d, box: d.box.map((v) => v + jitter) as unknown as Box })) : fresh;
          previous = detections;
          const { active, ended: justEnded } = tracker.update(detections, i * 200);
          const ids = active.map((t) => t.id);
          expect(new Set(ids).size).toBe(ids.length);
          for (const id of ids) {
            expect(ended.has(id)).toBe(false);
            expect(id).toBeGreaterThan(0);
          }
          for (const t of justEnded) {
            expect(ended.has(t.id)).toBe(false);
            expect(ids).not.toContain(t.id);
            ended.add(t.id);
          }
          // a new id is above every id handed out before it
          for (const id of ids.filter((id) => !seen.has(id))) {
            expect(id).toBeGreaterThan(Math.max(0, ...seen));
            seen.add(id);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});
