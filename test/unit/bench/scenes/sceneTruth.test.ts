import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { castActors } from '../../../../bench/scenes/buildScenes.js';
import { SCENES } from '../../../../bench/scenes/sceneScripts.js';
import { SCENE_RULES, sceneSiteConfig, sceneTruthEvents } from '../../../../bench/scenes/sceneTruth.js';
import { siteConfigSchema } from '../../../../pipelines/config/siteConfig.js';

const scene = (id: string) => SCENES.find((s) => s.id === id)!;
const round = (t: number): number => Math.round(t * 1e6) / 1e6;

describe('sceneTruthEvents', () => {
  it("lists the line scene turner's two crossings at the times its path gives", () => {
    // turner: x 0.12 -> 0.48 over 0..5 s reaches the line x = 0.3 half way, t = 2.5, going right (out of
    // a line drawn downwards); back 0.48 -> 0.15 over 7..12 s reaches it at 7 + 5 * 0.18 / 0.33
    const crossings = sceneTruthEvents(scene('line')).filter((e) => e.rule === SCENE_RULES.line && e.object === 'turner');
    expect(crossings.map((e) => [round(e.time), e.direction])).toEqual([
      [2.5, 'out'],
      [round(7 + (5 * 0.18) / 0.33), 'in'],
    ]);
  });

  it('gives the loiter scene one loitering start, dwell seconds after the lingerer enters the zone', () => {
    // lingerer: x 0.4 -> 0.75 over 0..4 s (y 0.55 -> 0.6) crosses the zone's left edge x = 0.62 at 4 * 0.22 / 0.35
    const loitering = sceneTruthEvents(scene('loiter')).filter((e) => e.rule === SCENE_RULES.loitering);
    expect(loitering.map((e) => [e.object, round(e.time)])).toEqual([['lingerer', round((4 * 0.22) / 0.35 + 6)]]);
  });

  it('gives the crowd scene one crowd, starting two seconds after the fourth person is in the zone', () => {
    const events = sceneTruthEvents(scene('crowd'));
    const entries = events.filter((e) => e.rule === SCENE_RULES.zone && e.kind === 'enter').map((e) => e.time);
    const exits = events.filter((e) => e.rule === SCENE_RULES.zone && e.kind === 'exit').map((e) => e.time);
    expect(entries).toHaveLength(5);
    expect(exits).toHaveLength(5);
    const crowd = events.filter((e) => e.rule === SCENE_RULES.crowding);
    expect(crowd.map((e) => e.kind)).toEqual(['crowd_start', 'crowd_end']);
    expect(crowd[0]!.time).toBeCloseTo(entries.sort((a, b) => a - b)[3]! + 2, 9);
    // the crowd of four or more ends at the second exit
    expect(crowd[1]!.time).toBeCloseTo(exits.sort((a, b) => a - b)[1]!, 9);
  });

  it("has every scene's static vehicles present from the first frame, and the driven van in the vehicle scene", () => {
    for (const s of SCENES) {
      expect(
        sceneTruthEvents(s)
          .filter((e) => e.rule === SCENE_RULES.vehicle)
          .map((e) => [e.object, e.time]),
      ).toEqual([...(s.id === 'vehicle' ? [['driven-van', 0]] : []), ['edge-car', 0], ['van', 0]]);
    }
  });

  it('gives the vehicle scene one vehicle crossing of the line at the time its path gives, and no person event for the van', () => {
    // driven-van: x 0.1 -> 0.8 over 0..9 s at y 0.6 reaches the line x = 0.3 at 9 * 0.2 / 0.7 s, going
    // right: out of a line drawn downwards (as the line scene's turner going right)
    const events = sceneTruthEvents(scene('vehicle'));
    expect(events.filter((e) => e.rule === SCENE_RULES.vehicleLine).map((e) => [e.object, round(e.time), e.direction])).toEqual([
      ['driven-van', round((9 * 0.2) / 0.7), 'out'],
    ]);
    // the van ends inside the zone (0.8, 0.6), but the zone's rules are about people
    const aboutPeople = [SCENE_RULES.line, SCENE_RULES.zone, SCENE_RULES.loitering] as string[];
    expect(events.filter((e) => aboutPeople.includes(e.rule) && e.object === 'driven-van')).toEqual([]);
    // the pedestrian walks down x = 0.42: right of the line, left of the zone; the roadside person stands outside both
    expect(events.filter((e) => e.object === 'pedestrian' || e.object === 'roadside')).toEqual([]);
  });
});

describe('scene scripts and configs', () => {
  it('writes a site config the agent accepts, with one rule of each measured type', () => {
    for (const s of SCENES) {
      const config = siteConfigSchema.parse(parse(sceneSiteConfig(s)));
      const camera = config.cameras[0]!;
      expect(camera.id).toBe(s.id);
      expect(camera.analyticsFps).toBe(10);
      expect(camera.rules.map((r) => [r.id, r.type])).toEqual([
        [SCENE_RULES.line, 'line_crossing'],
        [SCENE_RULES.zone, 'zone_intrusion'],
        [SCENE_RULES.loitering, 'loitering'],
        [SCENE_RULES.crowding, 'crowding'],
        [SCENE_RULES.vehicle, 'object_present'],
        [SCENE_RULES.vehicleLine, 'line_crossing'],
      ]);
    }
  });

  it('keeps every actor in the scene from its start to its end, inside the frame', () => {
    for (const s of SCENES) {
      for (const actor of s.actors) {
        expect(actor.keys[0]!.t).toBe(0);
        expect(actor.keys.at(-1)!.t).toBe(s.seconds);
        for (const k of actor.keys) expect(k.x > 0 && k.x < 1 && k.y > 0 && k.y < 1).toBe(true);
      }
    }
  });

  it('casts the same crops for the same seed, and distinct crops within a scene', () => {
    const crowd = scene('crowd');
    expect(castActors(crowd, 8, 7)).toEqual(castActors(crowd, 8, 7));
    expect(new Set(castActors(crowd, 8, 7).values()).size).toBe(5);
  });
});
