import { describe, expect, it } from 'vitest';
import { IouTracker } from '../../../../pipelines/track/IouTracker.js';
import type { Box, Detection } from '../../../../pipelines/types.js';

const person = (box: Box, score = 0.9): Detection => ({ label: 'person', classId: 0, score, box });
const car = (box: Box, score = 0.9): Detection => ({ label: 'car', classId: 2, score, box });

describe('IouTracker', () => {
  it('keeps one id for an object that moves a little between frames', () => {
    const tracker = new IouTracker();
    const first = tracker.update([person([0.1, 0.1, 0.2, 0.4])], 0).active;
    const second = tracker.update([person([0.11, 0.1, 0.21, 0.41])], 200).active;
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
    expect(second[0]!.id).toBe(first[0]!.id);
    expect(second[0]!.scores).toHaveLength(2);
    expect(second[0]!.firstSeen).toBe(0);
    expect(second[0]!.lastSeen).toBe(200);
    expect(second[0]!.anchors.at(-1)).toEqual([0.16, 0.41]);
  });

  it('never associates across classes', () => {
    const tracker = new IouTracker();
    const [p] = tracker.update([person([0.1, 0.1, 0.3, 0.3])], 0).active;
    const next = tracker.update([car([0.1, 0.1, 0.3, 0.3])], 100).active;
    expect(next.map((t) => t.label).sort()).toEqual(['car', 'person']);
    expect(next.find((t) => t.label === 'car')!.id).not.toBe(p!.id);
  });

  it('lets a track survive short misses, then ends it, and never reuses its id', () => {
    const tracker = new IouTracker({ maxMisses: 2 });
    const [t] = tracker.update([person([0.5, 0.5, 0.6, 0.8])], 0).active;
    expect(tracker.update([], 100).active[0]).toMatchObject({ id: t!.id, misses: 1 });
    expect(tracker.update([], 200).active[0]).toMatchObject({ id: t!.id, misses: 2 });
    const gone = tracker.update([], 300);
    expect(gone.active).toHaveLength(0);
    expect(gone.ended.map((e) => e.id)).toEqual([t!.id]);
    const [again] = tracker.update([person([0.5, 0.5, 0.6, 0.8])], 400).active;
    expect(again!.id).toBeGreaterThan(t!.id);
  });

  it('matches the best-overlapping pairs first', () => {
    const tracker = new IouTracker();
    const a = tracker.update([person([0.0, 0.0, 0.2, 0.4]), person([0.15, 0.0, 0.35, 0.4])], 0).active;
    const b = tracker.update([person([0.16, 0.0, 0.36, 0.4]), person([0.01, 0.0, 0.21, 0.4])], 100).active;
    const idAt = (tracks: typeof a, x: number): number => tracks.find((t) => Math.abs(t.box[0] - x) < 0.02)!.id;
    expect(idAt(b, 0.01)).toBe(idAt(a, 0.0));
    expect(idAt(b, 0.16)).toBe(idAt(a, 0.15));
  });

  it('bounds the score and anchor history', () => {
    const tracker = new IouTracker({ historyLength: 3 });
    let tracks = tracker.update([person([0.1, 0.1, 0.2, 0.2], 0.1)], 0).active;
    for (let i = 1; i <= 5; i++) tracks = tracker.update([person([0.1, 0.1, 0.2, 0.2], 0.1 + i / 10)], i).active;
    expect(tracks[0]!.scores.map((s) => Math.round(s * 10))).toEqual([4, 5, 6]);
    expect(tracks[0]!.anchors).toHaveLength(3);
  });
});
