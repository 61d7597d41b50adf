import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { alertSchema, buildAlert } from '../../../pipelines/alerts.js';
import { generatedSchemas } from '../../../pipelines/schemas.js';
import type { Track } from '../../../pipelines/types.js';
import { repoRoot } from '../../helpers/paths.js';

const track: Track = {
  id: 7,
  label: 'person',
  classId: 0,
  box: [0.1, 0.2, 1.0000001, 0.9],
  score: 0.83,
  scores: [0.8, 0.83],
  firstSeen: 1_700_000_000_000,
  lastSeen: 1_700_000_000_200,
  anchors: [],
  misses: 0,
};

const context = {
  siteId: 'site-a',
  cameraId: 'cam-1',
  model: { name: 'yolox-nano', sha256: 'a'.repeat(64) },
  config: { version: 4, sha256: 'b'.repeat(64) },
};

describe('c5.alert.v1', () => {
  it('builds a schema-valid alert with normalised, clamped coordinates and no pixels', () => {
    const alert = buildAlert(context, {
      id: uuidv7(),
      seq: 1,
      ruleId: 'gate',
      type: 'zone_intrusion',
      state: 'start',
      severity: 'high',
      track,
      zoneId: 'gate-a',
      frameTime: 1_700_000_000_200,
      now: 1_700_000_000_260,
    });
    expect(alertSchema.parse(alert)).toEqual(alert);
    expect(alert.object!.bbox).toEqual([0.1, 0.2, 1, 0.9]);
    expect(alert.zone).toEqual({ id: 'gate-a' });
    expect(alert.frameTime).toBe('2023-11-14T22:13:20.200Z');
    expect(JSON.stringify(alert).length).toBeLessThan(1024);
  });

  it("carries a label group's track as its majority label and its group, and no group otherwise", () => {
    const facts = { id: uuidv7(), seq: 3, ruleId: 'vans', type: 'object_present', state: 'start', severity: 'low', frameTime: 0, now: 0 } as const;
    const van = buildAlert(context, { ...facts, track: { ...track, label: 'truck', classId: 7, group: 'vehicle' } });
    expect(alertSchema.parse(van)).toEqual(van);
    expect(van.object).toMatchObject({ label: 'truck', group: 'vehicle', trackId: 7 });
    // optional: a person's alert (and one from an agent before label groups) has none and validates
    const person = buildAlert(context, { ...facts, track });
    expect(Object.keys(person.object!)).not.toContain('group');
    expect(alertSchema.parse(person)).toEqual(person);
    expect(alertSchema.safeParse({ ...van, object: { ...van.object, group: '' } }).success).toBe(false);
  });

  it('rejects an alert with a non-v7 id, an unknown key, or a box outside the frame', () => {
    const alert = buildAlert(context, {
      id: uuidv7(),
      seq: 2,
      ruleId: 'r',
      type: 'object_present',
      state: 'end',
      severity: 'low',
      track,
      frameTime: 0,
      now: 0,
    });
    expect(alertSchema.safeParse({ ...alert, id: '123e4567-e89b-42d3-a456-426614174000' }).success).toBe(false);
    expect(alertSchema.safeParse({ ...alert, image: 'base64...' }).success).toBe(false);
    expect(alertSchema.safeParse({ ...alert, object: { ...alert.object, bbox: [0, 0, 1.2, 1] } }).success).toBe(false);
  });

  it('carries a crowding alert without an object, with its zone and count', () => {
    const alert = buildAlert(context, {
      id: uuidv7(),
      seq: 3,
      ruleId: 'crowd',
      type: 'crowding',
      state: 'update',
      severity: 'high',
      zoneId: 'plaza',
      count: 7,
      frameTime: 0,
      now: 0,
    });
    expect(alertSchema.parse(alert)).toEqual(alert);
    expect(alert).toMatchObject({ zone: { id: 'plaza' }, count: 7 });
    expect(alert.object).toBeUndefined();
  });

  it('carries the line and direction of a crossing, and the dwell of a loiterer', () => {
    const crossing = buildAlert(context, {
      id: uuidv7(),
      seq: 4,
      ruleId: 'kerb',
      type: 'line_crossing',
      state: 'start',
      severity: 'low',
      track,
      line: { id: 'kerb', direction: 'out' },
      frameTime: 0,
      now: 0,
    });
    expect(alertSchema.parse(crossing).line).toEqual({ id: 'kerb', direction: 'out' });
    const loiter = buildAlert(context, {
      id: uuidv7(),
      seq: 5,
      ruleId: 'atm',
      type: 'loitering',
      state: 'end',
      severity: 'low',
      track,
      zoneId: 'atm',
      dwellSeconds: 31.23456,
      frameTime: 0,
      now: 0,
    });
    expect(alertSchema.parse(loiter)).toMatchObject({ dwellSeconds: 31.235, zone: { id: 'atm' } });
  });

  it('requires the object on every alert type but crowding', () => {
    const alert = buildAlert(context, {
      id: uuidv7(),
      seq: 6,
      ruleId: 'r',
      type: 'zone_intrusion',
      state: 'start',
      severity: 'low',
      track,
      zoneId: 'z',
      frameTime: 0,
      now: 0,
    });
    const { object: _object, ...withoutObject } = alert;
    const result = alertSchema.safeParse(withoutObject);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]).toMatchObject({ path: ['object'], message: 'a zone_intrusion alert must name its object' });
    expect(alertSchema.safeParse({ ...alert, line: { id: 'x', direction: 'both' } }).success).toBe(false);
  });

  it('has up-to-date generated JSON Schemas in config/ (run `npm run schemas` if this fails)', () => {
    for (const [name, text] of Object.entries(generatedSchemas())) {
      expect(readFileSync(join(repoRoot, 'config', name), 'utf8'), `config/${name} is stale`).toBe(text);
    }
  });
});
