import type { Keyframe, Point } from './scenePath.js';

export interface ActorScript {
  readonly id: string;
  /** what it shows: a person crop (default), or the van cut from the plate (`vehicle`) */
  readonly kind?: 'person' | 'vehicle';
  /** foot positions over time; an actor is in the scene from its first keyframe to its last */
  readonly keys: readonly Keyframe[];
}

export interface SceneScript {
  readonly id: string;
  readonly description: string;
  readonly seconds: number;
  readonly actors: readonly ActorScript[];
}

/**
 * The geometry every scene's site config watches (normalised, origin top-left, 768x576 plaza):
 * a vertical line across the left of the plaza and a zone on its right-hand paving.
 */
export const SCENE_LAYOUT = {
  line: { id: 'walkway', from: [0.3, 0.4] as Point, to: [0.3, 0.85] as Point },
  zone: {
    id: 'square',
    polygon: [
      [0.62, 0.45],
      [0.9, 0.45],
      [0.92, 0.75],
      [0.62, 0.75],
    ] as Point[],
  },
  dwellSeconds: 6,
  crowd: { minCount: 4, minDurationSeconds: 2 },
} as const;

/**
 * Objects that never move and so are part of the background plate: the parked van and the car at
 * the right edge (boxes measured by eye on the clip's first frame, in source pixels). They are in
 * every scene, from the first frame to the last.
 */
export const STATIC_VEHICLES: readonly { readonly id: string; readonly box: readonly [number, number, number, number] }[] = [
  { id: 'van', box: [652, 44, 723, 100] },
  { id: 'edge-car', box: [735, 50, 768, 91] },
];

/**
 * Scenery drawn over anyone whose feet are above its base: the lamp post and its sign (source
 * pixels, measured by eye), so people pass behind it as they do in the clip.
 */
export const LAMP_POST = {
  baseRow: 392,
  post: [
    [422, 60],
    [432, 60],
    [439, 392],
    [429, 392],
  ] as Point[],
  sign: [413, 202, 445, 245] as const,
};

const k = (t: number, x: number, y: number): Keyframe => ({ t, x, y });

/** The scenes: each a few people on scripted paths over the plaza. Times in seconds at 10 fps. */
export const SCENES: readonly SceneScript[] = [
  {
    id: 'cross',
    description: 'two people walk towards each other and cross, both passing behind the lamp post',
    seconds: 13,
    actors: [
      { id: 'a', keys: [k(0, 0.08, 0.5), k(12, 0.9, 0.58), k(13, 0.9, 0.58)] },
      { id: 'b', keys: [k(0, 0.96, 0.5), k(12, 0.1, 0.62), k(13, 0.1, 0.62)] },
    ],
  },
  {
    id: 'behind',
    description: 'one person passes behind another who walks the other way; a third passes behind a fourth who stands still',
    seconds: 14,
    actors: [
      { id: 'far', keys: [k(0, 0.1, 0.41), k(13, 0.88, 0.41), k(14, 0.88, 0.41)] },
      { id: 'near', keys: [k(0, 0.95, 0.62), k(13, 0.12, 0.62), k(14, 0.12, 0.62)] },
      { id: 'stander', keys: [k(0, 0.42, 0.53), k(14, 0.42, 0.53)] },
      { id: 'walker', keys: [k(0, 0.12, 0.5), k(1, 0.12, 0.5), k(13, 0.8, 0.5), k(14, 0.8, 0.5)] },
    ],
  },
  {
    id: 'loiter',
    description: 'one person stops in the zone for 12 s (loitering), one stops there under the dwell time, one walks through, one stands outside',
    seconds: 24,
    actors: [
      { id: 'lingerer', keys: [k(0, 0.4, 0.55), k(4, 0.75, 0.6), k(16, 0.75, 0.6), k(22, 0.35, 0.66), k(24, 0.35, 0.66)] },
      { id: 'shortstop', keys: [k(0, 0.5, 0.46), k(3, 0.7, 0.5), k(5.5, 0.7, 0.5), k(8.5, 0.48, 0.47), k(24, 0.48, 0.47)] },
      { id: 'passer', keys: [k(0, 0.96, 0.48), k(2, 0.96, 0.48), k(8, 0.5, 0.74), k(10, 0.4, 0.78), k(24, 0.4, 0.78)] },
      { id: 'sitter', keys: [k(0, 0.2, 0.5), k(24, 0.2, 0.5)] },
    ],
  },
  {
    id: 'crowd',
    description: 'five people gather in the zone into a crowd of five, stay, and disperse',
    seconds: 26,
    actors: [
      { id: 'p1', keys: [k(0, 0.3, 0.47), k(5, 0.66, 0.52), k(15, 0.66, 0.52), k(21, 0.3, 0.45), k(26, 0.3, 0.45)] },
      { id: 'p2', keys: [k(0, 0.5, 0.42), k(6, 0.78, 0.49), k(16, 0.78, 0.49), k(21, 0.55, 0.4), k(26, 0.55, 0.4)] },
      { id: 'p3', keys: [k(0, 0.96, 0.42), k(1, 0.96, 0.42), k(5, 0.87, 0.56), k(17, 0.87, 0.56), k(20, 0.96, 0.42), k(26, 0.96, 0.42)] },
      { id: 'p4', keys: [k(0, 0.45, 0.78), k(7, 0.7, 0.66), k(18, 0.7, 0.66), k(23, 0.4, 0.8), k(26, 0.4, 0.8)] },
      { id: 'p5', keys: [k(0, 0.6, 0.86), k(2, 0.6, 0.86), k(8, 0.83, 0.7), k(16, 0.83, 0.7), k(21, 0.7, 0.88), k(26, 0.7, 0.88)] },
    ],
  },
  {
    id: 'line',
    description:
      'crossings of the line both ways: one person crosses and comes back, one stops short of it before crossing, one walks beside it without crossing',
    seconds: 24,
    actors: [
      { id: 'turner', keys: [k(0, 0.12, 0.55), k(5, 0.48, 0.58), k(7, 0.48, 0.58), k(12, 0.15, 0.62), k(24, 0.15, 0.62)] },
      { id: 'crosser', keys: [k(0, 0.58, 0.72), k(2, 0.58, 0.72), k(9, 0.1, 0.76), k(24, 0.1, 0.76)] },
      { id: 'beside', keys: [k(0, 0.36, 0.42), k(10, 0.37, 0.82), k(24, 0.37, 0.82)] },
      { id: 'hesitant', keys: [k(0, 0.5, 0.47), k(8, 0.5, 0.47), k(11, 0.34, 0.5), k(15, 0.34, 0.5), k(19, 0.12, 0.52), k(24, 0.12, 0.52)] },
    ],
  },
  {
    id: 'zone',
    description: 'one person enters the zone, leaves, and enters and leaves again; one walks along its edge outside; one enters and stays',
    seconds: 24,
    actors: [
      {
        id: 'twice',
        keys: [k(0, 0.45, 0.6), k(4, 0.75, 0.6), k(6, 0.75, 0.6), k(10, 0.45, 0.62), k(12, 0.45, 0.62), k(16, 0.8, 0.55), k(20, 0.5, 0.52), k(24, 0.5, 0.52)],
      },
      { id: 'skirter', keys: [k(0, 0.55, 0.41), k(8, 0.95, 0.41), k(24, 0.95, 0.41)] },
      { id: 'stayer', keys: [k(0, 0.97, 0.62), k(5, 0.8, 0.68), k(24, 0.8, 0.68)] },
    ],
  },
  {
    id: 'vehicle',
    description:
      'a copy of the parked van drives across the plaza, over the line, in front of a standing person and past a person walking across its path; the parked van stays',
    seconds: 14,
    actors: [
      { id: 'driven-van', kind: 'vehicle', keys: [k(0, 0.1, 0.6), k(9, 0.8, 0.6), k(14, 0.8, 0.6)] },
      { id: 'roadside', keys: [k(0, 0.5, 0.5), k(14, 0.5, 0.5)] },
      { id: 'pedestrian', keys: [k(0, 0.42, 0.42), k(12, 0.42, 0.84), k(14, 0.42, 0.84)] },
    ],
  },
];
