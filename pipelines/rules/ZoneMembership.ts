import type { Point } from '../types.js';
import { pointInPolygon } from '../geometry.js';

/**
 * Whether one object is in a zone, with inertia: the anchor must be seen on the other side for
 * `inertia` consecutive frames before membership flips, so a box that jitters across the edge
 * neither enters nor leaves. `enteredAt` is the first of those frames, so dwell counts from the
 * real entry, not from when the rule became sure of it.
 */
export class ZoneMembership {
  private readonly polygon: readonly Point[];
  private readonly inertia: number;
  private isInside = false;
  private streak = 0;
  private streakStart = 0;
  private entered: number | undefined;

  constructor(polygon: readonly Point[], inertia: number) {
    this.polygon = polygon;
    this.inertia = Math.max(1, inertia);
  }

  get inside(): boolean {
    return this.isInside;
  }

  /** epoch ms of the entry the current membership began with; undefined while outside */
  get enteredAt(): number | undefined {
    return this.entered;
  }

  /** Feeds one observed anchor; returns the (debounced) membership. */
  observe(anchor: Point, now: number): boolean {
    const seenInside = pointInPolygon(anchor, this.polygon);
    if (seenInside === this.isInside) {
      this.streak = 0;
      return this.isInside;
    }
    if (this.streak === 0) this.streakStart = now;
    this.streak += 1;
    if (this.streak >= this.inertia) {
      this.isInside = seenInside;
      this.entered = seenInside ? this.streakStart : undefined;
      this.streak = 0;
    }
    return this.isInside;
  }
}
