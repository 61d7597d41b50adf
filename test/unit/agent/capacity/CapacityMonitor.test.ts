import { describe, expect, it } from 'vitest';
import { CapacityMonitor, type DecoderSample } from '../../../../agent/capacity/CapacityMonitor.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { ManualClock } from '../../../helpers/manualClock.js';

/** A box whose decoders, agent CPU and frame counts the test sets by hand between samples. */
function harness() {
  const state = {
    decoders: [] as DecoderSample[],
    decoderCpu: new Map<number, number>(),
    agentCpu: 0,
    processed: 0,
  };
  const gauges = { loadRatio: Number.NaN, limitCameras: Number.NaN };
  const clock = new ManualClock();
  const monitor = new CapacityMonitor({
    decoders: () => state.decoders,
    processedFrames: () => Promise.resolve(state.processed),
    cores: 2,
    intervalMs: 30_000,
    clock,
    gauges: { loadRatio: { set: (v) => (gauges.loadRatio = v) }, limitCameras: { set: (v) => (gauges.limitCameras = v) } },
    logger: createRootLogger({ level: 'silent' }),
    decoderCpuSeconds: (pid) => state.decoderCpu.get(pid),
    agentCpuSeconds: () => state.agentCpu,
  });
  return { state, gauges, monitor, clock };
}

describe('CapacityMonitor', () => {
  it('turns decoder CPU per frame and agent CPU per processed frame into the load ratio and the cameras held', async () => {
    const { state, gauges, monitor } = harness();
    state.decoders = [{ cameraId: 'gate', fps: 5, usage: { pid: 10, frames: 0 } }];
    state.decoderCpu.set(10, 1);
    state.agentCpu = 5;
    await monitor.sample();
    expect(gauges.loadRatio).toBeNaN(); // one reading is no rate yet

    // 30 s later: 150 frames at 5 fps are 30 s of video for 3 CPU-s of decoding (0.1 a second);
    // the agent spent 3 CPU-s on 150 processed frames (0.02 a frame). 0.1 + 5 x 0.02 = 0.2 cores.
    state.decoders = [{ cameraId: 'gate', fps: 5, usage: { pid: 10, frames: 150 } }];
    state.decoderCpu.set(10, 4);
    state.agentCpu = 8;
    state.processed = 150;
    await monitor.sample();
    expect(gauges.loadRatio).toBeCloseTo(0.1, 9);
    expect(gauges.limitCameras).toBe(10);
  });

  it('keeps a restarted decoder at its last figure, adds a camera once it has two readings, and reads 0 with no camera', async () => {
    const { state, gauges, monitor } = harness();
    const sample = async (decoders: DecoderSample[], cpu: Record<number, number>, agentCpu: number, processed: number): Promise<void> => {
      state.decoders = decoders;
      for (const [pid, seconds] of Object.entries(cpu)) state.decoderCpu.set(Number(pid), seconds);
      state.agentCpu = agentCpu;
      state.processed = processed;
      await monitor.sample();
    };
    await sample([{ cameraId: 'gate', fps: 5, usage: { pid: 10, frames: 0 } }], { 10: 0 }, 0, 0);
    await sample([{ cameraId: 'gate', fps: 5, usage: { pid: 10, frames: 150 } }], { 10: 3 }, 3, 150);
    expect(gauges.loadRatio).toBeCloseTo(0.1, 9);
    // gate's ffmpeg restarted (new pid, its CPU time from 0); plaza (10 fps) is seen for the first time
    await sample(
      [
        { cameraId: 'gate', fps: 5, usage: { pid: 11, frames: 160 } },
        { cameraId: 'plaza', fps: 10, usage: { pid: 20, frames: 0 } },
      ],
      { 11: 0.02, 20: 0 },
      6,
      300,
    );
    // gate as before (0.1 + 5 x 0.02); the agent's frame cost is still 3 CPU-s / 150 frames
    expect(gauges.loadRatio).toBeCloseTo(0.1, 9);
    await sample(
      [
        { cameraId: 'gate', fps: 5, usage: { pid: 11, frames: 310 } },
        { cameraId: 'plaza', fps: 10, usage: { pid: 20, frames: 300 } },
      ],
      { 11: 3.02, 20: 9 },
      12,
      600,
    );
    // gate 0.1 + 0.1 = 0.2; plaza 9 CPU-s over 30 s of video = 0.3, + 10 x 0.02 = 0.5; 0.7 of 2 cores;
    // the average camera 0.35 cores: 2 / 0.35 = 5.7 cameras
    expect(gauges.loadRatio).toBeCloseTo(0.35, 9);
    expect(gauges.limitCameras).toBe(5);
    // a decoder that is not running (no pid) keeps its figure out of nothing: the last one stays
    await sample([{ cameraId: 'gate', fps: 5, usage: undefined }], {}, 12, 600);
    expect(gauges.loadRatio).toBeCloseTo(0.1, 9);
    await sample([], {}, 12, 600);
    expect(gauges.loadRatio).toBe(0);
    expect(gauges.limitCameras).toBe(0);
  });

  it('samples on the injected clock until stopped', async () => {
    const { state, gauges, monitor, clock } = harness();
    state.decoders = [{ cameraId: 'gate', fps: 5, usage: { pid: 10, frames: 0 } }];
    state.decoderCpu.set(10, 0);
    monitor.start();
    await Promise.resolve();
    state.decoders = [{ cameraId: 'gate', fps: 5, usage: { pid: 10, frames: 150 } }];
    state.decoderCpu.set(10, 3);
    state.agentCpu = 3;
    state.processed = 150;
    clock.advance(30_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(gauges.loadRatio).toBeCloseTo(0.1, 9);
    monitor.stop();
    state.decoders = [];
    clock.advance(60_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(gauges.loadRatio).toBeCloseTo(0.1, 9);
  });
});
