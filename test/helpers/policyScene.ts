import type { CameraConfig } from '../../pipelines/config/siteConfig.js';
import { parseSiteConfig } from '../../pipelines/config/siteConfig.js';
import { RulePolicy } from '../../pipelines/policy.js';
import type { Box, Decision, Point, Track } from '../../pipelines/types.js';
import { ManualClock } from './manualClock.js';

/** Synthetic tracks driven frame by frame through a real RulePolicy, on an injected clock. */

/** A camera config as the loader would produce it (defaults filled, cross-checks passed). */
export function policyCamera(camera: Record<string, unknown>): CameraConfig {
  const parsed = parseSiteConfig({
    version: 1,
    site: { id: 'site-test' },
    mqtt: { urls: ['mqtt://127.0.0.1:1'] },
    cameras: [{ id: 'cam-test', source: { url: 'test.mp4' }, ...camera }],
  });
  if (!parsed.ok) throw new Error(`test camera is invalid:\n${parsed.errors.join('\n')}`);
  return parsed.config.cameras[0]!;
}

export interface ObjectSpec {
  readonly id: number;
  /** the anchor: bottom-centre of the box */
  readonly at: Point;
  readonly score?: number;
  readonly label?: string;
  /** box width and height, normalised; default a standing person, 0.05 x 0.15 */
  readonly size?: readonly [number, number];
  /** missed by the detector this frame (still tracked) */
  readonly coasting?: boolean;
  /** where the tracker says the object stands, when not the box's bottom-centre (a box cut short from below) */
  readonly standsAt?: Point;
}

export function boxAround(at: Point, size: readonly [number, number] = [0.05, 0.15]): Box {
  const [w, h] = size;
  return [at[0] - w / 2, at[1] - h, at[0] + w / 2, at[1]];
}

/** Short for a decision: `start matched`, `suppress outside_zone`, ... with its track. */
export function brief(decision: Decision): string {
  const what = decision.outcome === 'alert' ? decision.state : 'suppress';
  return `${decision.ruleId}#${decision.trackId ?? '-'} ${what} ${decision.reason}`;
}

export class PolicyScene {
  readonly clock: ManualClock;
  private current: RulePolicy;
  /** every decision so far, with the frame index it came on */
  readonly log: { frame: number; decision: Decision }[] = [];
  private readonly frameMs: number;
  private readonly firstSeen = new Map<number, number>();
  private readonly scores = new Map<number, number[]>();
  private readonly last = new Map<number, Track>();
  private frames = 0;

  constructor(camera: CameraConfig, options: { start?: number; frameMs?: number } = {}) {
    this.clock = new ManualClock(options.start ?? Date.UTC(2026, 0, 14, 18, 0, 0));
    this.current = new RulePolicy(camera);
    this.frameMs = options.frameMs ?? 200;
  }

  get policy(): RulePolicy {
    return this.current;
  }

  /** A pushed config for the camera, as the pipeline applies it: returns what the old policy closed. */
  replace(camera: CameraConfig): Decision[] {
    const next = new RulePolicy(camera, this.current);
    const closed = this.current.close(this.clock.now(), next);
    this.current = next;
    return closed;
  }

  get now(): number {
    return this.clock.now();
  }

  /** One frame: the clock moves on a frame (except before the first), then the policy sees these tracks. */
  step(objects: readonly ObjectSpec[], options: { lost?: readonly number[]; advanceMs?: number } = {}): Decision[] {
    if (this.frames > 0) this.clock.advance(options.advanceMs ?? this.frameMs);
    const now = this.clock.now();
    const active = objects.map((spec) => this.track(spec, now));
    const ended = (options.lost ?? []).map((id) => {
      const track = this.last.get(id);
      if (!track) throw new Error(`track ${id} was never seen`);
      this.last.delete(id);
      return { ...track, misses: track.misses + 1 };
    });
    const decisions = this.policy.evaluate({ active, ended, now });
    for (const decision of decisions) this.log.push({ frame: this.frames, decision });
    this.frames += 1;
    return decisions;
  }

  /** The same objects for `count` frames; returns every decision made meanwhile. */
  hold(objects: readonly ObjectSpec[], count: number): Decision[] {
    const out: Decision[] = [];
    for (let i = 0; i < count; i++) out.push(...this.step(objects));
    return out;
  }

  /** `frame: brief` lines of every decision so far, optionally only one rule's. */
  history(ruleId?: string): string[] {
    return this.log.filter((entry) => ruleId === undefined || entry.decision.ruleId === ruleId).map((entry) => `${entry.frame}: ${brief(entry.decision)}`);
  }

  private track(spec: ObjectSpec, now: number): Track {
    if (!this.firstSeen.has(spec.id)) this.firstSeen.set(spec.id, now);
    const previous = this.last.get(spec.id);
    const scores = this.scores.get(spec.id) ?? [];
    if (!spec.coasting) scores.push(spec.score ?? 0.9);
    this.scores.set(spec.id, scores);
    const box = spec.coasting && previous ? previous.box : boxAround(spec.at, spec.size);
    const track: Track = {
      id: spec.id,
      label: spec.label ?? 'person',
      classId: spec.label && spec.label !== 'person' ? 2 : 0,
      box,
      score: scores.at(-1) ?? 0,
      scores: [...scores],
      firstSeen: this.firstSeen.get(spec.id)!,
      lastSeen: spec.coasting && previous ? previous.lastSeen : now,
      anchors: spec.standsAt === undefined ? [] : [spec.standsAt],
      misses: spec.coasting ? (previous?.misses ?? 0) + 1 : 0,
    };
    this.last.set(spec.id, track);
    return track;
  }
}
