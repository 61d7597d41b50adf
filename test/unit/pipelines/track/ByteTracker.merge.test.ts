import { describe, expect, it } from 'vitest';
import { ByteTracker } from '../../../../pipelines/track/ByteTracker.js';
import type { Box, Detection, Track } from '../../../../pipelines/types.js';

/**
 * The detector's person boxes (x1, y1, x2, y2, score) on frames 36 to 60 of the generated scene
 * `loiter` (seed 16), right of x = 0.71: the scene's truth says a lingerer walks into the zone and
 * stands with her feet at x = 0.75 from frame 41, and a passer walking left and down at 0.0077 of
 * the frame a frame goes behind her (frames 46 to 48: one box, hers) and then in front of her
 * (frames 49 and 50: one box, his, then his and a cut-off one of hers) and leaves her behind.
 */
const FRAMES: [frame: number, boxes: number[][]][] = [
  [36, [[0.8209, 0.3897, 0.8646, 0.5456, 0.87]]],
  [
    37,
    [
      [0.8131, 0.3923, 0.8547, 0.5489, 0.86],
      [0.691, 0.4105, 0.7388, 0.5874, 0.78],
    ],
  ],
  [
    38,
    [
      [0.8031, 0.3964, 0.8495, 0.5545, 0.87],
      [0.7007, 0.4141, 0.7479, 0.5891, 0.78],
    ],
  ],
  [
    39,
    [
      [0.7971, 0.3966, 0.839, 0.5628, 0.87],
      [0.7085, 0.4176, 0.7581, 0.5967, 0.83],
    ],
  ],
  [
    40,
    [
      [0.7914, 0.3959, 0.8313, 0.5641, 0.88],
      [0.7169, 0.4226, 0.7655, 0.5924, 0.82],
    ],
  ],
  [
    41,
    [
      [0.7815, 0.4029, 0.8261, 0.565, 0.87],
      [0.7278, 0.4179, 0.7751, 0.5953, 0.84],
    ],
  ],
  [
    42,
    [
      [0.7748, 0.4033, 0.8181, 0.5711, 0.84],
      [0.7278, 0.4178, 0.7763, 0.5953, 0.84],
    ],
  ],
  [
    43,
    [
      [0.765, 0.4125, 0.8108, 0.5825, 0.87],
      [0.728, 0.4174, 0.776, 0.5963, 0.82],
    ],
  ],
  [
    44,
    [
      [0.7281, 0.419, 0.7756, 0.5957, 0.79],
      [0.7596, 0.416, 0.801, 0.5897, 0.79],
    ],
  ],
  [
    45,
    [
      [0.7303, 0.4213, 0.7773, 0.5952, 0.81],
      [0.7574, 0.422, 0.7956, 0.5911, 0.76],
    ],
  ],
  [46, [[0.7283, 0.4237, 0.7837, 0.6002, 0.84]]],
  [47, [[0.7274, 0.4217, 0.7789, 0.5989, 0.85]]],
  [48, [[0.7253, 0.4192, 0.7761, 0.5947, 0.87]]],
  [49, [[0.7203, 0.4211, 0.7739, 0.6002, 0.85]]],
  [
    50,
    [
      [0.7131, 0.426, 0.7699, 0.6038, 0.82],
      [0.7436, 0.4189, 0.776, 0.5991, 0.66],
    ],
  ],
  [
    51,
    [
      [0.7057, 0.4217, 0.7705, 0.6106, 0.81],
      [0.7003, 0.4385, 0.74, 0.6072, 0.68],
    ],
  ],
  [
    52,
    [
      [0.7314, 0.421, 0.774, 0.6074, 0.83],
      [0.6931, 0.4323, 0.7451, 0.6134, 0.79],
    ],
  ],
  [
    53,
    [
      [0.7291, 0.4219, 0.7756, 0.6083, 0.83],
      [0.6878, 0.4355, 0.7346, 0.6107, 0.83],
    ],
  ],
  [54, [[0.7289, 0.4191, 0.776, 0.6036, 0.84]]],
  [55, [[0.7297, 0.4188, 0.7756, 0.6024, 0.83]]],
  [56, [[0.7292, 0.4199, 0.7749, 0.5996, 0.84]]],
  [57, [[0.7269, 0.4205, 0.7751, 0.5977, 0.86]]],
  [58, [[0.7262, 0.4208, 0.7762, 0.6002, 0.86]]],
  [59, [[0.7253, 0.4214, 0.7764, 0.6002, 0.86]]],
  [60, [[0.7252, 0.4218, 0.7763, 0.5993, 0.86]]],
];

const detectionsOf = (boxes: number[][]): Detection[] =>
  boxes.map(([x1, y1, x2, y2, score]) => ({ label: 'person', classId: 0, score: score!, box: [x1!, y1!, x2!, y2!] as Box }));
const centreX = (track: Track): number => (track.box[0] + track.box[2]) / 2;
/** the track on the standing lingerer: a matched box centred within 0.01 of x = 0.752 (her box's centre) */
const standing = (active: readonly Track[]): Track | undefined => active.find((t) => t.misses === 0 && Math.abs(centreX(t) - 0.752) < 0.01);

describe('ByteTracker: a walker passing a standing person (recorded detections, injected clock)', () => {
  it('the standing person keeps her id after the walker has passed behind and in front of her', () => {
    const tracker = new ByteTracker({ options: { maxMisses: 20, lostFrames: 20 } });
    const idAt = new Map<number, number | undefined>();
    for (const [frame, boxes] of FRAMES) {
      const { active } = tracker.update(detectionsOf(boxes), frame * 100);
      idAt.set(frame, standing(active)?.id);
    }
    // By hand: the passer is seen first (frame 36) and confirmed on 37 with id 1; the lingerer is
    // seen on 37, confirmed on 38 with id 2. She stands at 0.752 from frame 41.
    expect(idAt.get(43)).toBe(2);
    // Once he has gone (frames 54 to 60 show her box alone), she must still be id 2: the boxes the
    // two shared were not hers to move her track by.
    for (let frame = 54; frame <= 60; frame++) expect({ frame, id: idAt.get(frame) }).toEqual({ frame, id: 2 });
  });
});
