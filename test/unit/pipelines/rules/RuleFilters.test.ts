import { describe, expect, it } from 'vitest';
import { ruleSchema } from '../../../../pipelines/config/rulesSchema.js';
import { scheduleSchema } from '../../../../pipelines/config/scheduleSchema.js';
import { RuleFilters } from '../../../../pipelines/rules/RuleFilters.js';
import { Schedule } from '../../../../pipelines/rules/schedule.js';
import type { Box, Track } from '../../../../pipelines/types.js';

/** Wednesday 2026-01-14, 14:00 UTC = 08:00 in Mexico City (UTC-6 all year since 2022). */
const NOW = Date.UTC(2026, 0, 14, 14, 0, 0);

const rule = ruleSchema.parse({
  id: 'r',
  type: 'object_present',
  labels: ['person'],
  minScore: 0.5,
  minTrackAge: 1,
  minBoxArea: 0.01,
  maxBoxArea: 0.25,
});
const bench = {
  id: 'bench',
  polygon: [
    [0, 0],
    [0.2, 0],
    [0.2, 0.2],
    [0, 0.2],
  ] as const,
};

/** Box edges are multiples of 1/16, so areas and anchors are exact in binary and can be written by hand. */
function track(options: { box?: Box; scores?: number[]; score?: number; ageMs?: number; label?: string; group?: string }): Track {
  const box = options.box ?? [0.25, 0.5, 0.5, 0.75];
  const scores = options.scores ?? [0.7];
  return {
    id: 1,
    label: options.label ?? 'person',
    classId: 0,
    ...(options.group === undefined ? {} : { group: options.group }),
    box,
    score: options.score ?? scores.at(-1)!,
    scores,
    firstSeen: NOW - (options.ageMs ?? 2_000),
    lastSeen: NOW,
    anchors: [[(box[0] + box[2]) / 2, box[3]]],
    misses: 0,
  };
}

describe('RuleFilters.judge', () => {
  const filters = new RuleFilters(rule, undefined, [bench]);

  it('passes a track that meets every filter and reports the numbers it looked at', () => {
    // box 0.25 x 0.25 = 0.0625; anchor bottom-centre (0.375, 0.75); median of [0.6, 0.9, 0.7] = 0.7
    expect(filters.judge(track({ scores: [0.6, 0.9, 0.7] }), NOW)).toEqual({
      blocked: undefined,
      values: { score: 0.7, minScore: 0.5, ageSeconds: 2, minTrackAge: 1, boxArea: 0.0625, anchorX: 0.375, anchorY: 0.75 },
    });
  });

  it.each([
    {
      name: 'anchor (0.125, 0.125) inside the bench mask',
      spec: { box: [0.0625, 0, 0.1875, 0.125] as Box },
      blocked: 'privacy_mask',
      extra: { privacyMask: 'bench' },
    },
    {
      name: 'the mask wins over every other failing filter',
      spec: { box: [0.0625, 0, 0.1875, 0.125] as Box, ageMs: 0, scores: [0.1] },
      blocked: 'privacy_mask',
      extra: { privacyMask: 'bench' },
    },
    { name: 'age 0.5 s under minTrackAge 1 s', spec: { ageMs: 500 }, blocked: 'track_too_young', extra: {} },
    { name: 'age is checked before score', spec: { ageMs: 500, scores: [0.1] }, blocked: 'track_too_young', extra: {} },
    { name: 'age exactly minTrackAge is old enough', spec: { ageMs: 1_000 }, blocked: undefined, extra: {} },
    { name: 'the median (0.3) decides, not the latest score (0.9)', spec: { scores: [0.2, 0.3, 0.9], score: 0.9 }, blocked: 'below_min_score', extra: {} },
    { name: 'median of an even count: (0.4 + 0.6) / 2 = 0.5 meets minScore 0.5', spec: { scores: [0.4, 0.6] }, blocked: undefined, extra: {} },
    { name: 'median of an even count: (0.4 + 0.5) / 2 = 0.45 is below', spec: { scores: [0.4, 0.5] }, blocked: 'below_min_score', extra: {} },
    {
      name: 'area 0.0625^2 = 0.00390625 under minBoxArea 0.01',
      spec: { box: [0.5, 0.5, 0.5625, 0.5625] as Box },
      blocked: 'box_too_small',
      extra: { minBoxArea: 0.01 },
    },
    {
      name: 'area 0.625 x 0.5 = 0.3125 over maxBoxArea 0.25',
      spec: { box: [0, 0.25, 0.625, 0.75] as Box },
      blocked: 'box_too_large',
      extra: { maxBoxArea: 0.25 },
    },
    { name: 'score is checked before box area', spec: { box: [0.5, 0.5, 0.5625, 0.5625] as Box, scores: [0.1] }, blocked: 'below_min_score', extra: {} },
  ])('$name: $blocked', ({ spec, blocked, extra }) => {
    const verdict = filters.judge(track(spec), NOW);
    expect(verdict.blocked).toBe(blocked);
    expect(verdict.values).toMatchObject(extra);
    // the threshold of a filter that did not fail is not named
    if (!('minBoxArea' in extra)) expect(verdict.values).not.toHaveProperty('minBoxArea');
    if (!('privacyMask' in extra)) expect(verdict.values).not.toHaveProperty('privacyMask');
  });

  it('without masks, a track in that corner is judged on the other filters', () => {
    const unmasked = new RuleFilters(rule, undefined, []);
    expect(unmasked.judge(track({ box: [0.0625, 0, 0.1875, 0.125] }), NOW).blocked).toBeUndefined();
  });
});

describe('RuleFilters.selects', () => {
  it.each([
    { label: 'person', selected: true },
    { label: 'car', selected: false },
    { label: 'Person', selected: false },
  ])('label $label: $selected', ({ label, selected }) => {
    const filters = new RuleFilters(ruleSchema.parse({ id: 'r', type: 'object_present', labels: ['person', 'bicycle'] }), undefined, []);
    expect(filters.selects(track({ label }))).toBe(selected);
  });
});

describe('RuleFilters.selects with label groups', () => {
  it.each([
    { rule: ['car'], label: 'car', group: 'vehicle', selected: true },
    { rule: ['car'], label: 'truck', group: 'vehicle', selected: false },
    { rule: ['vehicle'], label: 'truck', group: 'vehicle', selected: true },
    { rule: ['vehicle'], label: 'car', group: undefined, selected: false },
    { rule: ['vehicle'], label: 'person', group: undefined, selected: false },
  ])('rule on $rule, track $label of group $group: $selected', ({ rule, label, group, selected }) => {
    const filters = new RuleFilters(ruleSchema.parse({ id: 'r', type: 'object_present', labels: rule }), undefined, []);
    expect(filters.selects(track({ label, ...(group === undefined ? {} : { group }) }))).toBe(selected);
  });
});

describe('RuleFilters schedule', () => {
  // weekdays 08:00 to 18:00, Mexico City time
  const schedule = new Schedule(
    scheduleSchema.parse({ timeZone: 'America/Mexico_City', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }] }),
  );
  const filters = new RuleFilters(rule, schedule, []);

  it.each([
    { at: '2026-01-14T13:59:00Z', local: 'Wed 07:59', armed: false },
    { at: '2026-01-14T14:00:00Z', local: 'Wed 08:00', armed: true },
    { at: '2026-01-14T23:59:00Z', local: 'Wed 17:59', armed: true },
    { at: '2026-01-15T00:00:00Z', local: 'Wed 18:00', armed: false },
    { at: '2026-01-17T16:00:00Z', local: 'Sat 10:00', armed: false },
  ])('$local local ($at): armed $armed', ({ at, armed }) => {
    expect(filters.isArmed(Date.parse(at))).toBe(armed);
  });

  it('reports the local time it judged by: Wednesday (3), 08:00 = minute 480', () => {
    expect(filters.scheduleValues(NOW)).toEqual({ timeZone: 'America/Mexico_City', localWeekday: 3, localMinute: 480 });
  });

  it('a rule without a schedule is always armed and reports no schedule values', () => {
    const always = new RuleFilters(rule, undefined, []);
    expect(always.isArmed(Date.parse('2026-01-17T16:00:00Z'))).toBe(true);
    expect(always.scheduleValues(NOW)).toEqual({});
  });
});
