import { afterEach, describe, expect, it } from 'vitest';
import { probeHwDecodeCapabilities } from '../../../agent/ingest/probeHwDecode.js';
import { resolveFfmpegPath } from '../../../agent/ingest/resolveFfmpegPath.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { createAgentMetrics } from '../../../agent/observe/metrics.js';
import { h264ClipPath } from '../../helpers/media.js';
import { waitFor } from '../../helpers/recordingListener.js';
import { startSource, stopAllSources, type SourceUnderTest } from './harness.js';

afterEach(stopAllSources);

const logger = createRootLogger({ level: 'silent' });
const ffmpegPath = resolveFfmpegPath({ env: process.env, logger });

async function fallbacks(metrics: ReturnType<typeof createAgentMetrics>) {
  return (await metrics.hwDecodeFallbacksTotal.get()).values.map((v) => ({ ...v.labels, value: v.value }));
}

/** Frames after the software restart, with the fallback reported first. */
async function expectSoftwareFrames(run: SourceUnderTest, frames: number): Promise<void> {
  await waitFor(`${frames} frames after the fallback`, () => run.listener.frames.length >= frames, 15_000);
  expect(run.listener.statuses.map((s) => [s.state, s.reason])).toEqual([
    ['offline', 'hw_decode_failed'],
    ['online', undefined],
  ]);
  expect(run.listener.restarts[0]).toMatchObject({ reason: 'hw_decode_failed', attempt: 1 });
  const spawned = run.logs.filter((l) => l.includes('"msg":"spawning ffmpeg"'));
  expect(spawned).toHaveLength(2);
}

describe('hardware decoding on a machine without the hardware (real ffmpeg)', () => {
  it('rpi: h264_v4l2m2m finds no V4L2 device, the camera restarts in software and frames flow', async () => {
    const metrics = createAgentMetrics({ siteId: 's', version: 't', defaultMetrics: false });
    const run = startSource({ url: h264ClipPath(), loop: true, hwDecode: 'rpi', deps: { metrics } });
    await expectSoftwareFrames(run, 5);
    expect(run.listener.statuses[0]?.detail).toMatch(/rpi \(h264_v4l2m2m\) failed to start.*(valid device|opening decoder)/);
    expect(await fallbacks(metrics)).toEqual([{ camera: 'cam-it', preset: 'rpi', value: 1 }]);
    expect(run.listener.frames[0]?.letterbox).toMatchObject({ sourceWidth: 768, sourceHeight: 576 });
  }, 30_000);

  it('auto: picks VA-API from what this ffmpeg reports plus a render node without a driver, then falls back', async () => {
    // The real capability listing of this ffmpeg; only the device node is pretended, as on a Pi
    // or an RK3588 whose /dev/dri/renderD128 has no VA-API driver behind it.
    const capabilities = await probeHwDecodeCapabilities({ ffmpegPath, logger, exists: (node) => node === '/dev/dri/renderD128' });
    expect(capabilities.hwaccels).toContain('vaapi');
    const metrics = createAgentMetrics({ siteId: 's', version: 't', defaultMetrics: false });
    const run = startSource({ url: h264ClipPath(), loop: true, hwDecode: 'auto', deps: { metrics, hwDecodeCapabilities: capabilities } });
    await expectSoftwareFrames(run, 5);
    expect(await fallbacks(metrics)).toEqual([{ camera: 'cam-it', preset: 'vaapi', value: 1 }]);
  }, 30_000);

  it("auto with the real probe decodes this machine's stream, with hardware where it exists", async () => {
    const capabilities = await probeHwDecodeCapabilities({ ffmpegPath, logger });
    const run = startSource({ url: h264ClipPath(), loop: true, hwDecode: 'auto', deps: { hwDecodeCapabilities: capabilities } });
    await waitFor('5 frames', () => run.listener.frames.length >= 5, 15_000);
    expect(run.listener.statuses.at(-1)?.state).toBe('online');
    expect(run.logs.some((l) => l.includes('"msg":"hardware decoding preset"') && l.includes('"hwDecode":"auto"'))).toBe(true);
  }, 30_000);
});
