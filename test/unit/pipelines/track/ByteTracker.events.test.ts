import { describe, expect, it } from 'vitest';
import { RulePolicy } from '../../../../pipelines/policy.js';
import { ByteTracker } from '../../../../pipelines/track/ByteTracker.js';
import { trackerOptionsFor } from '../../../../pipelines/track/trackerOptions.js';
import type { Decision, Detection } from '../../../../pipelines/types.js';
import { brief, policyCamera } from '../../../helpers/policyScene.js';

/**
 * The tracker and the real policy together, as CameraPipeline runs them: what the rules see of a
 * track that is lost and re-linked. 5 fps: maxMisses defaults to 10 frames, lostSeconds 3 to 15.
 */
const START = Date.UTC(2026, 0, 14, 18, 0, 0);
const camera = policyCamera({
  analyticsFps: 5,
  zones: [
    {
      id: 'plaza',
      polygon: [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 1],
      ],
    },
  ],
  rules: [
    { id: 'people', type: 'object_present', labels: ['person'], minScore: 0.5 },
    { id: 'loiter', type: 'loitering', zone: 'plaza', labels: ['person'], dwellSeconds: 2, updateIntervalSeconds: 0 },
    { id: 'vehicles', type: 'object_present', labels: ['vehicle'], minScore: 0.5 },
    { id: 'cars', type: 'object_present', labels: ['car'], minScore: 0.5 },
  ],
});

const person = (x: number): Detection => ({ label: 'person', classId: 0, score: 0.9, box: [x, 0.4, x + 0.05, 0.6] });

/** Frames 0..n-1 through tracker and policy; every alert as `frame rule#track state reason`. */
function alerts(frames: readonly (readonly Detection[])[]): string[] {
  const tracker = new ByteTracker({ options: trackerOptionsFor(camera) });
  const policy = new RulePolicy(camera);
  const out: string[] = [];
  frames.forEach((detections, i) => {
    const now = START + i * 200;
    const tracks = tracker.update(detections, now, camera.detection.minScore);
    const decisions: Decision[] = policy.evaluate({ ...tracks, now });
    for (const d of decisions) if (d.outcome === 'alert') out.push(`${i} ${brief(d)}`);
  });
  return out;
}

describe('rule events over lost and re-linked tracks', () => {
  it('continues the events of a person hidden for 4 s (past coasting) instead of ending and starting them again', () => {
    // seen 0..14, hidden 15..34 (20 frames: 10 coasting, 10 of the 15 lost), back 35..44 standing still
    const frames = Array.from({ length: 45 }, (_, i) => (i >= 15 && i < 35 ? [] : [person(0.3)]));
    expect(alerts(frames)).toEqual([
      // confirmed on frame 1 (minHits 2), first seen on frame 0
      '1 people#1 start matched',
      // dwell from frame 1 (first observed by the rule): 2 s at frame 11
      '11 loiter#1 start matched',
      // the dwell passed 4 s and 6 s while the person was hidden: one update on the frame it is back (6.8 s)
      '35 loiter#1 update dwell_threshold_passed',
      // 8 s at frame 41
      '41 loiter#1 update dwell_threshold_passed',
    ]);
  });

  it('ends the events once when the lost time runs out', () => {
    // seen 0..14, then gone: misses 1..10 coasting (frames 15..24), 11..25 lost (25..39), ends on frame 40
    const frames = Array.from({ length: 50 }, (_, i) => (i < 15 ? [person(0.3)] : []));
    expect(alerts(frames)).toEqual(['1 people#1 start matched', '11 loiter#1 start matched', '40 people#1 end track_lost', '40 loiter#1 end track_lost']);
  });

  it('raises one vehicle event for a van seen as car and as truck, and a car rule follows its majority label', () => {
    const van = (label: 'car' | 'truck'): Detection[] => [{ label, classId: label === 'car' ? 2 : 7, score: 0.8, box: [0.6, 0.1, 0.75, 0.2] }];
    // car on 0, 2, 4; truck on 1, 3, 5, 6, 7: car leads until frame 5 (3-3, truck's summed score is no higher: car stays), truck from frame 6
    const frames = [van('car'), van('truck'), van('car'), van('truck'), van('car'), van('truck'), van('truck'), van('truck')];
    expect(alerts(frames)).toEqual(['1 vehicles#1 start matched', '1 cars#1 start matched']);
  });
});
