import type { RuleConfig } from '../config/siteConfig.js';
import { maskContaining, type MaskPolygon } from '../privacy/privacyMask.js';
import type { DecisionReason, Track } from '../types.js';
import type { DecisionValues } from './EventLifecycle.js';
import { standingPoint, boxArea, median } from '../geometry.js';
import type { Schedule } from './schedule.js';

export interface FilterVerdict {
  /** the first filter the track fails, if any */
  readonly blocked: DecisionReason | undefined;
  /** the numbers every filter looked at, for the decision record */
  readonly values: DecisionValues;
}

/**
 * The filters every rule has: labels, privacy masks, track age, the median of recent scores, box
 * area, and the schedule. Checked in that order, so a decision names the first that failed.
 */
export class RuleFilters {
  private readonly rule: RuleConfig;
  private readonly labels: ReadonlySet<string>;
  private readonly schedule: Schedule | undefined;
  private readonly masks: readonly MaskPolygon[];

  constructor(rule: RuleConfig, schedule: Schedule | undefined, masks: readonly MaskPolygon[]) {
    this.rule = rule;
    this.labels = new Set(rule.labels);
    this.schedule = schedule;
    this.masks = masks;
  }

  /**
   * Tracks of other labels are not this rule's business: no decision at all. A rule selects a
   * track by its majority label (`car` selects a vehicle track seen mostly as car) or by its label
   * group (`vehicle` selects every vehicle track, whatever the detector called it most).
   */
  selects(track: Track): boolean {
    return this.labels.has(track.label) || (track.group !== undefined && this.labels.has(track.group));
  }

  isArmed(now: number): boolean {
    return this.schedule ? this.schedule.isActive(now) : true;
  }

  scheduleValues(now: number): DecisionValues {
    if (!this.schedule) return {};
    const { weekday, minute } = this.schedule.localTime(now);
    return { timeZone: this.schedule.timeZone, localWeekday: weekday, localMinute: minute };
  }

  judge(track: Track, now: number): FilterVerdict {
    const { rule } = this;
    const anchor = standingPoint(track);
    const score = median(track.scores);
    const ageSeconds = (now - track.firstSeen) / 1000;
    const area = boxArea(track.box);
    const values: DecisionValues = {
      score,
      minScore: rule.minScore,
      ageSeconds,
      minTrackAge: rule.minTrackAge,
      boxArea: area,
      anchorX: anchor[0],
      anchorY: anchor[1],
    };
    const mask = maskContaining(anchor, this.masks);
    if (mask !== undefined) return { blocked: 'privacy_mask', values: { ...values, privacyMask: mask } };
    if (ageSeconds < rule.minTrackAge) return { blocked: 'track_too_young', values };
    if (score < rule.minScore) return { blocked: 'below_min_score', values };
    if (area < rule.minBoxArea) return { blocked: 'box_too_small', values: { ...values, minBoxArea: rule.minBoxArea } };
    if (area > rule.maxBoxArea) return { blocked: 'box_too_large', values: { ...values, maxBoxArea: rule.maxBoxArea } };
    return { blocked: undefined, values };
  }
}
