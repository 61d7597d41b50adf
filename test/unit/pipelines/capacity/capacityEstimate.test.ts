import { describe, expect, it } from 'vitest';
import { camerasAt, estimateCapacity } from '../../../../pipelines/capacity/capacityEstimate.js';

describe('estimateCapacity', () => {
  it("reproduces issue 17's hand calculation: a 1080p stream on two cores holds about 12 cameras", () => {
    // decode 0.095 CPU-s per second of video, 5 inferences of 13.5 ms: 0.095 + 0.0675 = 0.1625 a camera; 2 / 0.1625 = 12.3
    expect(camerasAt(2, 5, 0.095, 0.0135)).toBe(12);
    // the SD clip: 0.009 decode (about a tenth), 0.0675 inference: 2 / 0.0765 = 26.1
    expect(camerasAt(2, 5, 0.009, 0.0135)).toBe(26);
  });

  it('sums the cameras of a config against the cores and says when it asks for more', () => {
    const estimate = estimateCapacity({
      cores: 2,
      cameras: [
        { id: 'gate', fps: 5, decodeCpuPerSecond: 0.1, inferenceCpuSeconds: 0.02 },
        { id: 'plaza', fps: 10, decodeCpuPerSecond: 0.3, inferenceCpuSeconds: 0.02 },
      ],
    });
    // gate: 0.1 + 5 x 0.02 = 0.2 cores (10 like it); plaza: 0.3 + 10 x 0.02 = 0.5 (4 like it)
    expect(estimate.cameras.map((c) => [c.id, Number(c.cores.toFixed(6)), c.limit])).toEqual([
      ['gate', 0.2, 10],
      ['plaza', 0.5, 4],
    ]);
    expect(estimate.demandCores).toBeCloseTo(0.7, 9);
    expect(estimate.loadRatio).toBeCloseTo(0.35, 9);
    // the average camera costs 0.35 cores: 2 / 0.35 = 5.7
    expect(estimate.limitCameras).toBe(5);
    expect(estimate.overCapacity).toBe(false);
  });

  it('is over capacity when the demand passes the cores', () => {
    const cameras = Array.from({ length: 13 }, (_, i) => ({ id: `cam-${i}`, fps: 5, decodeCpuPerSecond: 0.095, inferenceCpuSeconds: 0.0135 }));
    const estimate = estimateCapacity({ cores: 2, cameras });
    // 13 x 0.1625 = 2.1125 cores
    expect(estimate.demandCores).toBeCloseTo(2.1125, 9);
    expect(estimate.overCapacity).toBe(true);
    expect(estimate.limitCameras).toBe(12);
  });

  it('handles no cameras, and refuses nonsense inputs', () => {
    expect(estimateCapacity({ cores: 4, cameras: [] })).toMatchObject({ demandCores: 0, loadRatio: 0, limitCameras: 0, overCapacity: false });
    expect(() => estimateCapacity({ cores: 0, cameras: [] })).toThrow(/cores/);
    expect(() => estimateCapacity({ cores: 2, cameras: [{ id: 'x', fps: 5, decodeCpuPerSecond: 0.1, inferenceCpuSeconds: Number.NaN }] })).toThrow(
      /inferenceCpuSeconds/,
    );
    expect(() => estimateCapacity({ cores: 2, cameras: [{ id: 'x', fps: -1, decodeCpuPerSecond: 0, inferenceCpuSeconds: 0.01 }] })).toThrow(/fps/);
  });
});
