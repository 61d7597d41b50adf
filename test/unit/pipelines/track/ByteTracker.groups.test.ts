import { describe, expect, it } from 'vitest';
import { ByteTracker } from '../../../../pipelines/track/ByteTracker.js';
import type { Box, Detection, Track } from '../../../../pipelines/types.js';

/** COCO class ids, as yolox-nano's labels file numbers them */
const CLASS_IDS: Readonly<Record<string, number>> = { person: 0, car: 2, bus: 5, truck: 7 };
const det = (label: string, box: Box, score = 0.9): Detection => ({ label, classId: CLASS_IDS[label]!, score, box });
/** a parked van: the same box, give or take a pixel */
const van = (jitter = 0): Box => [0.6 + jitter, 0.1, 0.75 + jitter, 0.2];
const ids = (tracks: readonly Track[]): number[] => tracks.map((t) => t.id);

describe('ByteTracker label groups', () => {
  it('keeps one track for a van the detector calls car on one frame and truck on the next', () => {
    const tracker = new ByteTracker({ options: { minHits: 2 } });
    const labels = ['car', 'truck', 'car', 'truck', 'truck', 'car', 'truck'];
    const seen = new Set<number>();
    let last: Track[] = [];
    labels.forEach((label, i) => {
      last = tracker.update([det(label, van(i % 2 === 0 ? 0 : 0.002))], i * 200).active;
      for (const id of ids(last)) seen.add(id);
    });
    expect([...seen]).toEqual([1]);
    // 4 truck frames against 3 car frames
    expect(last[0]).toMatchObject({ id: 1, label: 'truck', classId: 7, group: 'vehicle', misses: 0 });
  });

  it('reports the label seen on most frames; a tie goes to the higher summed score', () => {
    const tracker = new ByteTracker({ options: { minHits: 1 } });
    expect(tracker.update([det('car', van(), 0.7)], 0).active[0]).toMatchObject({ label: 'car', group: 'vehicle' });
    // one frame each; truck's 0.8 beats car's 0.7
    expect(tracker.update([det('truck', van(), 0.8)], 200).active[0]).toMatchObject({ label: 'truck', classId: 7 });
    // car 2 frames (1.4) against truck 1 (0.8)
    expect(tracker.update([det('car', van(), 0.7)], 400).active[0]).toMatchObject({ label: 'car', classId: 2 });
    // 2 frames each, truck 1.6 against car 1.4
    expect(tracker.update([det('truck', van(), 0.8)], 600).active[0]!.label).toBe('truck');
  });

  it('never matches across groups, nor across labels when grouping is off', () => {
    const grouped = new ByteTracker({ options: { minHits: 1 } });
    grouped.update([det('car', van())], 0);
    const next = grouped.update([det('person', van())], 200).active;
    expect(next.map((t) => [t.id, t.label, t.group])).toEqual([
      [1, 'car', 'vehicle'],
      [2, 'person', undefined],
    ]);

    const ungrouped = new ByteTracker({ options: { minHits: 1, labelGroups: {} } });
    ungrouped.update([det('car', van())], 0);
    const both = ungrouped.update([det('truck', van())], 200).active;
    expect(both.map((t) => [t.id, t.label, t.group])).toEqual([
      [1, 'car', undefined],
      [2, 'truck', undefined],
    ]);
  });

  it('takes groups from its options', () => {
    const tracker = new ByteTracker({ options: { minHits: 1, labelGroups: { big: ['truck', 'bus'] } } });
    tracker.update([det('bus', van())], 0);
    const tracks = tracker.update([det('truck', van()), det('car', [0.1, 0.5, 0.2, 0.6])], 200).active;
    expect(tracks.map((t) => [t.id, t.group])).toEqual([
      [1, 'big'],
      [2, undefined],
    ]);
  });
});

describe('ByteTracker low-score stage', () => {
  const person = (x: number, score: number): Detection => det('person', [x, 0.3, x + 0.1, 0.6], score);

  it('keeps a live track going with a detection under detection.minScore, from lowScore up', () => {
    const tracker = new ByteTracker({ options: { minHits: 1, lowScore: 0.1 } });
    tracker.update([person(0.1, 0.9)], 0, 0.25);
    // half hidden: 0.15 is under minScore (0.25) but over lowScore (0.1), and on the track's box
    expect(tracker.update([person(0.101, 0.15)], 200, 0.25).active).toMatchObject([{ id: 1, misses: 0, score: 0.15 }]);
    // under lowScore: ignored, the track coasts
    expect(tracker.update([person(0.102, 0.05)], 400, 0.25).active).toMatchObject([{ id: 1, misses: 1 }]);
  });

  it('never opens a track from a detection under minScore, whatever highScore and newTrackScore say', () => {
    const tracker = new ByteTracker({ options: { minHits: 1, highScore: 0.1, newTrackScore: 0.1 } });
    expect(tracker.update([person(0.5, 0.2)], 0, 0.25).active).toEqual([]);
    // the same detection once minScore is under it (a hot config change) does
    expect(tracker.update([person(0.5, 0.2)], 200, 0.15).active).toMatchObject([{ id: 1, score: 0.2 }]);
  });

  it('does not let a detection under minScore re-link a lost track or extend a coasting one', () => {
    const tracker = new ByteTracker({ options: { minHits: 1, maxMisses: 1, lostFrames: 5 } });
    tracker.update([person(0.1, 0.9)], 0, 0.25);
    tracker.update([], 200, 0.25);
    // coasting (missed last frame): the low stage only serves tracks seen last frame
    expect(tracker.update([person(0.1, 0.2)], 400, 0.25).active).toEqual([]);
    expect(tracker.update([person(0.1, 0.2)], 600, 0.25).active).toEqual([]);
    // a confident one re-links it
    expect(tracker.update([person(0.1, 0.9)], 800, 0.25).active).toMatchObject([{ id: 1, misses: 0 }]);
  });
});
