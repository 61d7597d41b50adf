/** Contracts shared by every stage. See docs/ARCHITECTURE.md, "Contracts". */

/** How a source frame was fitted into the model input: image at top-left, scaled, padded. */
export interface Letterbox {
  /** model pixels per source pixel */
  readonly scale: number;
  /** padding on the right and bottom, in model pixels */
  readonly padX: number;
  readonly padY: number;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
}

export interface Frame {
  readonly cameraId: string;
  /** per camera, starts at 1 for each camera pipeline and only increases */
  readonly seq: number;
  /** epoch ms when the frame left ffmpeg */
  readonly captureTime: number;
  readonly width: number;
  readonly height: number;
  /** packed BGR24, width * height * 3 bytes, at the model input size */
  readonly pixels: Uint8Array;
  readonly letterbox: Letterbox;
  /**
   * Hands `pixels` back to the source for reuse. Called once by the stage that reads the pixels
   * last (a skipped or dropped frame at once, an inferred one when inference settles); nothing
   * reads `pixels` after it. Extra calls do nothing. Absent when the source does not reuse buffers.
   */
  readonly release?: () => void;
}

/** Normalised source coordinates, 0..1: x1 y1 x2 y2. */
export type Box = readonly [number, number, number, number];

export interface Detection {
  readonly label: string;
  readonly classId: number;
  readonly score: number;
  readonly box: Box;
}

export type Point = readonly [number, number];

export interface Track {
  /** unique per camera for the life of the process, never reused */
  readonly id: number;
  /** the label detected on most of the track's frames (its detections may name other labels of its group) */
  readonly label: string;
  readonly classId: number;
  /** the label group the track's labels belong to (e.g. `vehicle`), when they are in one */
  readonly group?: string;
  readonly box: Box;
  readonly score: number;
  readonly scores: readonly number[];
  readonly firstSeen: number;
  readonly lastSeen: number;
  /**
   * where the object stood on each frame it was seen, oldest first: the bottom-centre of its box,
   * or, while the box is cut short from below by something in front, the point the object's usual
   * height below the box's top (`standingPoint`)
   */
  readonly anchors: readonly Point[];
  /** frames since the track was last matched to a detection (0 = matched this frame) */
  readonly misses: number;
}

export const DECISION_REASONS = [
  // an event starts: every condition of the rule holds
  'matched',
  'label_not_selected',
  'already_active',
  // filters on every rule
  'below_min_score',
  'track_too_young',
  'box_too_small',
  'box_too_large',
  'schedule_inactive',
  'cooldown',
  'privacy_mask',
  // rule conditions not (yet) met
  'outside_zone',
  'not_crossed',
  'wrong_direction',
  'dwell_too_short',
  'crowd_too_small',
  'crowd_too_short',
  // an open event changes (`update`)
  'line_crossed',
  'dwell_threshold_passed',
  'crowd_count_changed',
  // an open event ends
  'track_lost',
  'left_zone',
  'crowd_dispersed',
  // the camera's rules were replaced (a new config): every open event ends
  'policy_replaced',
] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];

export type CrossingDirection = 'in' | 'out';

/** What an alert says beyond the object: only the fields its rule type has. */
export interface EventFacts {
  readonly zoneId?: string;
  readonly line?: { readonly id: string; readonly direction: CrossingDirection };
  /** crowding: tracks in the zone */
  readonly count?: number;
  /** loitering: seconds the object has been in the zone */
  readonly dwellSeconds?: number;
}

export type AlertState = 'start' | 'update' | 'end';

export interface Decision {
  readonly ruleId: string;
  /** null for rules about a zone rather than one object (crowding) */
  readonly trackId: number | null;
  readonly outcome: 'alert' | 'suppress';
  readonly reason: DecisionReason;
  /** set when outcome is 'alert' */
  readonly state?: AlertState;
  /** the numbers that led to the decision (score, threshold, anchor, ...) */
  readonly values: Readonly<Record<string, number | string | boolean | null>>;
  /** set when outcome is 'alert': the zone, line, count or dwell the alert reports */
  readonly event?: EventFacts;
}
