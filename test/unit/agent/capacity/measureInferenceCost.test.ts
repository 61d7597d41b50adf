import { describe, expect, it } from 'vitest';
import { measureInferenceCost } from '../../../../agent/capacity/measureInferenceCost.js';
import type { Detector } from '../../../../pipelines/stages.js';
import type { Frame } from '../../../../pipelines/types.js';

const frame = { cameraId: 'c', seq: 1, captureTime: 0, width: 2, height: 2, pixels: new Uint8Array(12) } as unknown as Frame;

/** A session that takes `ms` of the event loop's timers per call and records how many calls overlap. */
function countingDetector(shared: { inFlight: number; maxInFlight: number }, ms: number): Detector & { calls: number } {
  const detector = {
    model: { name: 'm', inputWidth: 2, inputHeight: 2, labels: [] },
    calls: 0,
    async detect() {
      detector.calls += 1;
      shared.inFlight += 1;
      shared.maxInFlight = Math.max(shared.maxInFlight, shared.inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      shared.inFlight -= 1;
      return [];
    },
    stop: () => Promise.resolve(),
  };
  return detector as unknown as Detector & { calls: number };
}

describe('measureInferenceCost', () => {
  it('shares the runs among the sessions, which run side by side as the agent runs its inference threads', async () => {
    const shared = { inFlight: 0, maxInFlight: 0 };
    const detectors = [countingDetector(shared, 2), countingDetector(shared, 2)];
    const cost = await measureInferenceCost(detectors, frame, { minScore: 0.25, nmsIou: 0.45 } as never, 20);
    expect(cost.runs).toBe(20);
    // 3 warm-up calls each, then the 20 measured ones split between them (each takes a run when free)
    expect(detectors[0]!.calls + detectors[1]!.calls).toBe(3 + 3 + 20);
    expect(detectors[0]!.calls).toBeGreaterThan(3);
    expect(detectors[1]!.calls).toBeGreaterThan(3);
    expect(shared.maxInFlight).toBe(2);
    expect(cost.wallMsP50).toBeGreaterThanOrEqual(1);
    expect(cost.cpuSeconds).toBeGreaterThanOrEqual(0);
  });

  it('runs one session alone one call at a time, and refuses nonsense', async () => {
    const shared = { inFlight: 0, maxInFlight: 0 };
    const one = countingDetector(shared, 1);
    await measureInferenceCost([one], frame, {} as never, 5);
    expect(one.calls).toBe(3 + 5);
    expect(shared.maxInFlight).toBe(1);
    await expect(measureInferenceCost([], frame, {} as never, 5)).rejects.toThrow(/at least one detector/);
    await expect(measureInferenceCost([one], frame, {} as never, 0)).rejects.toThrow(/whole number/);
  });
});
