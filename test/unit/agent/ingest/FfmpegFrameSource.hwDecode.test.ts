import { afterEach, describe, expect, it } from 'vitest';
import { createAgentMetrics } from '../../../../agent/observe/metrics.js';
import { harness, HEADER, sendFrames, stopHarnessSources, tick, type FakeChild, type HarnessOptions } from './fakeFfmpeg.js';

afterEach(stopHarnessSources);

const V4L2_NO_DEVICE = `${HEADER}[h264_v4l2m2m @ 0x5647e408a3c0] Could not find a valid device
[h264_v4l2m2m @ 0x5647e408a3c0] can't configure decoder
Error while opening decoder for input stream #0:0 : Invalid argument
`;

function withMetrics(options: HarnessOptions) {
  const metrics = createAgentMetrics({ siteId: 's', version: 't', defaultMetrics: false });
  const h = harness({ ...options, deps: { ...options.deps, metrics } });
  const fallbacks = async () => (await metrics.hwDecodeFallbacksTotal.get()).values.map((v) => ({ ...v.labels, value: v.value }));
  return { ...h, fallbacks };
}

async function fail(child: FakeChild, stderr: string, code = 1): Promise<void> {
  child.stderr.write(stderr);
  await tick();
  await child.exit(code);
}

describe('FfmpegFrameSource hardware decoding (fake ffmpeg)', () => {
  it('falls back to software when the hardware decoder cannot start, logs and counts it, then stays in software', async () => {
    const h = withMetrics({ source: { hwDecode: 'rpi' } });
    h.source.start(h.listener);
    expect(h.argsSeen[0]).toEqual(expect.arrayContaining(['-c:v', 'h264_v4l2m2m']));

    await fail(h.child(), V4L2_NO_DEVICE);
    expect(h.listener.lastStatus).toMatchObject({ state: 'offline', reason: 'hw_decode_failed' });
    expect(h.listener.lastStatus?.detail).toContain('rpi (h264_v4l2m2m) failed to start, falling back to software decoding');
    expect(h.listener.lastStatus?.detail).toContain('Error while opening decoder');
    expect(h.listener.restarts).toEqual([{ cameraId: 'cam-1', reason: 'hw_decode_failed', delayMs: 1000, attempt: 1 }]);
    expect(await h.fallbacks()).toEqual([{ camera: 'cam-1', preset: 'rpi', value: 1 }]);
    expect(h.logs.some((l) => l.includes('"msg":"hardware decoding failed to start') && l.includes('"preset":"rpi"'))).toBe(true);

    h.clock.advance(1000);
    expect(h.argsSeen[1]).not.toContain('-c:v');
    h.child().stderr.write(HEADER);
    await tick();
    await sendFrames(h.child(), 2);
    expect(h.listener.lastStatus).toMatchObject({ state: 'online' });
    expect(h.listener.frames).toHaveLength(2);

    // a later failure of the software run restarts in software; the preset is not retried
    await fail(h.child(), '/x: Invalid data found when processing input\n');
    h.clock.advance(h.listener.restarts.at(-1)!.delayMs);
    expect(h.argsSeen[2]).not.toContain('-c:v');
    expect(await h.fallbacks()).toEqual([{ camera: 'cam-1', preset: 'rpi', value: 1 }]);
  });

  it('falls back when ffmpeg lacks the decoder altogether (it exits before describing the input)', async () => {
    const h = withMetrics({ source: { hwDecode: 'jetson', codec: 'hevc' } });
    h.source.start(h.listener);
    expect(h.argsSeen[0]).toEqual(expect.arrayContaining(['-c:v', 'hevc_nvv4l2dec']));
    await fail(h.child(), "Unknown decoder 'hevc_nvv4l2dec'\n", 8);
    expect(h.listener.lastStatus?.reason).toBe('hw_decode_failed');
    h.clock.advance(1000);
    expect(h.argsSeen[1]).not.toContain('hevc_nvv4l2dec');
    expect(await h.fallbacks()).toEqual([{ camera: 'cam-1', preset: 'jetson', value: 1 }]);
  });

  it('falls back when a hardware run reaches the stream but stalls before its first frame', async () => {
    const h = withMetrics({ source: { hwDecode: 'vaapi' }, stall: 2, timings: { startupGraceMs: 3_000 } });
    h.source.start(h.listener);
    expect(h.argsSeen[0]).toEqual(expect.arrayContaining(['-hwaccel', 'vaapi']));
    h.child().stderr.write(HEADER);
    await tick();
    h.clock.advance(3_100);
    await tick();
    expect(h.listener.lastStatus?.reason).toBe('hw_decode_failed');
    expect(h.listener.lastStatus?.detail).toContain('stalled: no first frame');
    h.clock.advance(1000);
    expect(h.argsSeen[1]).not.toContain('-hwaccel');
  });

  it('keeps the preset when the camera itself is the problem, or once the hardware has delivered frames', async () => {
    const h = withMetrics({ source: { hwDecode: 'rpi' } });
    h.source.start(h.listener);
    await fail(h.child(), 'rtsp://REDACTED@10.1.2.3:554/stream: Connection refused\n');
    expect(h.listener.lastStatus?.reason).toBe('unreachable');
    h.clock.advance(h.listener.restarts.at(-1)!.delayMs);
    expect(h.argsSeen[1]).toEqual(expect.arrayContaining(['-c:v', 'h264_v4l2m2m']));

    h.child().stderr.write(HEADER);
    await tick();
    await sendFrames(h.child(), 1);
    await fail(h.child(), 'Error while decoding stream #0:0: Invalid data found when processing input\n');
    h.clock.advance(h.listener.restarts.at(-1)!.delayMs);
    expect(h.argsSeen[2]).toEqual(expect.arrayContaining(['-c:v', 'h264_v4l2m2m']));
    expect(await h.fallbacks()).toEqual([]);
  });

  it('auto chooses from the probed capabilities, and decodes in software without them', () => {
    const pi = harness({
      source: { hwDecode: 'auto' },
      deps: { hwDecodeCapabilities: { hwaccels: ['vaapi'], decoders: ['h264_v4l2m2m'], devices: ['/dev/video10'] } },
    });
    pi.source.start(pi.listener);
    expect(pi.argsSeen[0]).toEqual(expect.arrayContaining(['-c:v', 'h264_v4l2m2m']));
    expect(pi.logs.some((l) => l.includes('"hwDecode":"auto"') && l.includes('"preset":"rpi"'))).toBe(true);

    const bare = harness({ source: { hwDecode: 'auto' } });
    bare.source.start(bare.listener);
    expect(bare.argsSeen[0]).not.toContain('-c:v');
    expect(bare.argsSeen[0]).not.toContain('-hwaccel');
    expect(bare.logs.some((l) => l.includes('"preset":"none"') && l.includes('"decoder":"software"'))).toBe(true);
  });

  it('tells the operator when the stream is not the configured codec', async () => {
    const h = harness({ source: { hwDecode: 'rockchip', codec: 'h264' } });
    h.source.start(h.listener);
    // a forced decoder relabels the stream, so only the software run shows the real codec
    await fail(h.child(), `${HEADER}Error while decoding stream #0:0: Invalid data found when processing input\n`);
    expect(h.listener.lastStatus?.reason).toBe('hw_decode_failed');
    h.clock.advance(1000);
    h.child().stderr.write(HEADER.replace('Video: h264 (Main)', 'Video: hevc (Main)'));
    await tick();
    const hint = h.logs.filter((l) => l.includes('set source.codec to hevc'));
    expect(hint).toHaveLength(1);
    expect(hint[0]).toContain('"streamCodec":"hevc"');
  });
});
