import type { CameraConfig, RuleConfig } from './config/siteConfig.js';
import { anchorOf, median, pointInPolygon } from './rules/geometry.js';
import type { Policy } from './stages.js';
import type { Decision, DecisionReason, Point, Track } from './types.js';

/**
 * Turns tracks into decisions for the camera's rules. An event is per (rule, track): `start`
 * once the rule's conditions hold, `end` when the track leaves the zone or is lost. Suppressions
 * are reported once per (rule, track, reason), so the caller can audit the first suppression
 * without a decision per frame.
 */
export class RulePolicy implements Policy {
  private readonly rules: readonly RuleConfig[];
  private readonly zones: ReadonlyMap<string, readonly Point[]>;
  /** `${ruleId}\u0000${trackId}` → the last reason reported for that pair */
  private readonly lastReason = new Map<string, DecisionReason>();
  /** pairs with an open event */
  private readonly active = new Set<string>();

  constructor(camera: Pick<CameraConfig, 'rules' | 'zones'>) {
    this.rules = camera.rules;
    this.zones = new Map(camera.zones.map((zone) => [zone.id, zone.polygon]));
  }

  evaluate(input: { active: readonly Track[]; ended: readonly Track[]; now: number }): Decision[] {
    const decisions: Decision[] = [];
    for (const rule of this.rules) {
      for (const track of input.active) {
        if (!rule.labels.includes(track.label)) continue;
        // A coasting track (missed this frame) keeps its event open but never starts or ends one.
        if (track.misses > 0) continue;
        const decision = this.judge(rule, track);
        if (decision) decisions.push(decision);
      }
      for (const track of input.ended) {
        const key = pairKey(rule.id, track.id);
        this.lastReason.delete(key);
        if (this.active.delete(key)) {
          decisions.push({
            ruleId: rule.id,
            trackId: track.id,
            outcome: 'alert',
            state: 'end',
            reason: 'track_lost',
            values: { lastSeen: track.lastSeen, misses: track.misses },
          });
        }
      }
    }
    return decisions;
  }

  private judge(rule: RuleConfig, track: Track): Decision | undefined {
    const key = pairKey(rule.id, track.id);
    const score = median(track.scores);
    const values: Record<string, number | string | boolean | null> = { score, minScore: rule.minScore };
    let blocked: DecisionReason | undefined;
    if (score < rule.minScore) blocked = 'below_min_score';
    if (!blocked && rule.type === 'zone_intrusion') {
      const anchor = anchorOf(track.box);
      values['anchorX'] = anchor[0];
      values['anchorY'] = anchor[1];
      values['zone'] = rule.zone;
      const polygon = this.zones.get(rule.zone);
      if (!polygon || !pointInPolygon(anchor, polygon)) blocked = 'outside_zone';
    }

    if (blocked) {
      // Once an event is open, a score dip is noise on the same object: only leaving the zone
      // (or the track being lost) ends it, so a flickering score cannot flap start/end.
      if (this.active.has(key)) {
        if (blocked !== 'outside_zone') return undefined;
        this.active.delete(key);
        this.lastReason.set(key, blocked);
        return { ruleId: rule.id, trackId: track.id, outcome: 'alert', state: 'end', reason: 'left_zone', values };
      }
      if (this.lastReason.get(key) === blocked) return undefined;
      this.lastReason.set(key, blocked);
      return { ruleId: rule.id, trackId: track.id, outcome: 'suppress', reason: blocked, values };
    }
    if (this.active.has(key)) return undefined;
    this.active.add(key);
    this.lastReason.set(key, 'matched');
    return { ruleId: rule.id, trackId: track.id, outcome: 'alert', state: 'start', reason: 'matched', values };
  }
}

function pairKey(ruleId: string, trackId: number): string {
  return `${ruleId}\u0000${trackId}`;
}
