import { describe, expect, it } from 'vitest';
import { motionSchema } from '../../../../pipelines/config/cameraSchema.js';
import { MotionGate, type MotionSettings } from '../../../../pipelines/motion/MotionGate.js';
import { ManualClock } from '../../../helpers/manualClock.js';
import { sceneFrame, type SceneBox, type SceneOptions } from '../../../helpers/sceneFrames.js';

const FRAME_MS = 200;
const settings = (overrides: Partial<MotionSettings> = {}): MotionSettings => motionSchema.parse({ enabled: true, ...overrides });

/** Feeds one frame every 200 ms of a manual clock; returns each frame's gate decision. */
function camera(gateSettings: MotionSettings) {
  const clock = new ManualClock();
  const gate = new MotionGate(gateSettings);
  let seq = 0;
  return {
    clock,
    gate,
    next(options: SceneOptions = {}, tracksPending = false) {
      clock.advance(FRAME_MS);
      seq += 1;
      return gate.check(sceneFrame('cam', seq, clock.now(), { noise: 3, ...options }), tracksPending);
    },
  };
}

// A person-sized object in model pixels: about 2x5 cells of the 52x52 grid.
const walker = (x: number): SceneBox => ({ x, y: 120, w: 16, h: 40 });

describe('MotionGate', () => {
  it('lets every frame through when disabled, without measuring anything', () => {
    const cam = camera(settings({ enabled: false }));
    const decisions = [cam.next(), cam.next(), cam.next()];
    expect(decisions.map((d) => d.reason)).toEqual(['disabled', 'disabled', 'disabled']);
    expect(decisions.every((d) => d.infer && d.measurement === undefined)).toBe(true);
  });

  it('infers the first frame, then skips a still scene with sensor noise', () => {
    const cam = camera(settings({ recheckSeconds: 60 }));
    expect(cam.next()).toMatchObject({ infer: true, reason: 'first_frame' });
    const still = Array.from({ length: 20 }, () => cam.next());
    expect(still.map((d) => d.reason)).toEqual(Array(20).fill('still'));
    expect(still.every((d) => !d.infer)).toBe(true);
  });

  it('infers while an object moves through the scene, and skips again once it has left', () => {
    const cam = camera(settings({ recheckSeconds: 60 }));
    cam.next();
    cam.next();
    const moving = [40, 60, 80, 100, 120].map((x) => cam.next({ objects: [walker(x)] }));
    expect(moving.map((d) => d.reason)).toEqual(Array(5).fill('motion'));
    // Gone: the background still remembers it for a moment, then the scene is still again.
    const after = Array.from({ length: 25 }, () => cam.next());
    expect(after.at(-1)).toMatchObject({ infer: false, reason: 'still' });
  });

  it('does not count a lighting jump or an IR switch as motion', () => {
    const cam = camera(settings({ recheckSeconds: 60 }));
    cam.next();
    cam.next();
    // A lamp: the whole image 40 % brighter from one frame to the next.
    const lamp = cam.next({ brightness: 1.4 });
    expect(lamp.infer).toBe(false);
    expect(lamp.measurement!.brightness).toBeGreaterThan(1.3);
    expect(cam.next({ brightness: 1.4 })).toMatchObject({ infer: false, reason: 'still' });
    // The IR cut filter flips: most of the image changes at once; the background is re-learnt.
    expect(cam.next({ brightness: 1.4, infrared: true })).toMatchObject({ infer: false, reason: 'global_change' });
    expect(cam.next({ brightness: 1.4, infrared: true })).toMatchObject({ infer: false, reason: 'still' });
    // Motion after the switch is still motion.
    expect(cam.next({ brightness: 1.4, infrared: true, objects: [walker(200)] })).toMatchObject({ infer: true, reason: 'motion' });
  });

  it('re-checks a stationary object at the configured interval', () => {
    const cam = camera(settings({ recheckSeconds: 2 }));
    const parked = { objects: [walker(150)] };
    cam.next();
    // The object arrives (motion), then stays put for 10 s.
    expect(cam.next(parked)).toMatchObject({ infer: true, reason: 'motion' });
    const inferredAt: number[] = [];
    let lastMotionAt = cam.clock.now();
    for (let i = 0; i < 50; i++) {
      const decision = cam.next(parked);
      if (decision.reason === 'motion') lastMotionAt = cam.clock.now();
      if (decision.reason === 'recheck') inferredAt.push(cam.clock.now());
      else expect(decision.reason === 'motion' || !decision.infer).toBe(true);
    }
    // The background takes it in within a second or so; from then on only re-checks, every 2 s.
    expect(inferredAt.length).toBeGreaterThanOrEqual(4);
    expect(inferredAt[0]! - lastMotionAt).toBe(2_000);
    for (let i = 1; i < inferredAt.length; i++) expect(inferredAt[i]! - inferredAt[i - 1]!).toBe(2_000);
  });

  it('keeps inferring while the tracker has an unmatched track to settle', () => {
    const cam = camera(settings({ recheckSeconds: 60 }));
    cam.next();
    expect(cam.next({}, true)).toMatchObject({ infer: true, reason: 'tracks_pending' });
    expect(cam.next({}, false)).toMatchObject({ infer: false, reason: 'still' });
  });

  it('reports the share of the image that changed, not of the padded model input, and is not fooled by a large dark object', () => {
    const cam = camera(settings({ minAreaFraction: 0.25, recheckSeconds: 60 }));
    cam.next();
    // A lorry covering the left 30 % of the image (22 % of the padded 416x416 input).
    const lorry = cam.next({ objects: [{ x: 0, y: 0, w: 125, h: 312 }] });
    expect(lorry.measurement!.changedFraction).toBeGreaterThan(0.28);
    expect(lorry.measurement!.changedFraction).toBeLessThan(0.35);
    expect(lorry.measurement!.brightness).toBeCloseTo(1, 1);
    expect(lorry).toMatchObject({ infer: true, reason: 'motion' });
  });
});
