import { afterEach, describe, expect, it } from 'vitest';
import { FfmpegFrameSource } from '../../../../agent/ingest/FfmpegFrameSource.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { cameraSchema } from '../../../../pipelines/config/siteConfig.js';
import { FakeChild, FRAME, H, harness, HEADER, sendFrames, stopHarnessSources, tick, URL_WITH_SECRET, W } from './fakeFfmpeg.js';

afterEach(stopHarnessSources);

describe('FfmpegFrameSource (fake ffmpeg)', () => {
  it('emits letterboxed frames with increasing seq and the clock time, going online first', async () => {
    const h = harness();
    h.source.start(h.listener);
    h.child().stderr.write(HEADER);
    await tick();
    await sendFrames(h.child(), 3);
    expect(h.listener.statuses.map((s) => s.state)).toEqual(['online']);
    expect(h.listener.frames.map((f) => f.seq)).toEqual([1, 2, 3]);
    const frame = h.listener.frames[0]!;
    expect(frame).toMatchObject({ cameraId: 'cam-1', width: W, height: H, captureTime: h.clock.now() });
    expect(frame.letterbox).toMatchObject({ scale: 0.5, padX: 0, padY: 2, sourceWidth: 16, sourceHeight: 12 });
    expect(h.listener.lastPixels).toHaveLength(FRAME);
  });

  it('drops frames while the source size is unknown, and restarts when it never comes', async () => {
    const h = harness({ timings: { maxFramesWithoutSize: 2 } });
    h.source.start(h.listener);
    await sendFrames(h.child(), 2);
    expect(h.listener.frames).toHaveLength(0);
    await sendFrames(h.child(), 1);
    expect(h.listener.lastStatus).toMatchObject({ state: 'offline', reason: 'no_stream_info' });
    expect(h.child().signals).toEqual(['SIGTERM']);
    await tick();
    expect(h.listener.restarts).toEqual([{ cameraId: 'cam-1', reason: 'no_stream_info', delayMs: 1000, attempt: 1 }]);
  });

  it('restarts after exits with exponential backoff capped at 30 s, keeping seq across restarts', async () => {
    const h = harness();
    h.source.start(h.listener);
    const delays: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      const child = h.child();
      child.stderr.write(HEADER);
      await tick();
      await sendFrames(child, 1);
      child.stderr.write('/x: Invalid data found when processing input\n');
      await tick();
      await child.exit(1);
      const restart = h.listener.restarts.at(-1)!;
      delays.push(restart.delayMs);
      expect(h.children).toHaveLength(i + 1);
      h.clock.advance(restart.delayMs - 1);
      expect(h.children).toHaveLength(i + 1);
      h.clock.advance(1);
      expect(h.children).toHaveLength(i + 2);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(h.listener.restarts.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(h.listener.frames.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // online/offline alternate: each restart that delivers a frame is a state change
    expect(h.listener.statuses.slice(0, 2).map((s) => [s.state, s.reason])).toEqual([
      ['online', undefined],
      ['offline', 'not_video'],
    ]);
  });

  it('applies jitter from the injected random and resets backoff after a healthy run', async () => {
    const h = harness({ random: 0.5, stall: 60, timings: { healthyResetMs: 10_000 } });
    h.source.start(h.listener);
    await h.child().exit(1);
    h.clock.advance(h.listener.restarts.at(-1)!.delayMs);
    await h.child().exit(1);
    expect(h.listener.restarts.map((r) => r.delayMs)).toEqual([900, 1800]);
    h.clock.advance(1800);
    h.child().stderr.write(HEADER);
    await tick();
    await sendFrames(h.child(), 1);
    h.clock.advance(10_000);
    await h.child().exit(0);
    expect(h.listener.restarts.at(-1)).toMatchObject({ attempt: 1, delayMs: 900, reason: 'exited' });
  });

  it('kills a stalled ffmpeg (SIGTERM, then SIGKILL after the grace) and restarts it', async () => {
    const h = harness({ stall: 2, timings: { killGraceMs: 500 } });
    h.source.start(h.listener);
    const child = h.child();
    child.ignoreSigterm = true;
    child.stderr.write(HEADER);
    await tick();
    await sendFrames(child, 1);
    h.clock.advance(1_900);
    expect(child.signals).toEqual([]);
    h.clock.advance(200);
    expect(h.listener.lastStatus).toMatchObject({ state: 'offline', reason: 'stalled' });
    expect(h.listener.lastStatus?.detail).toMatch(/no frame for 2\.\d s/);
    expect(child.signals).toEqual(['SIGTERM']);
    expect(h.listener.restarts).toHaveLength(0); // not before the old process is gone
    h.clock.advance(500);
    expect(child.signals).toEqual(['SIGTERM', 'SIGKILL']);
    await tick();
    await tick();
    expect(h.listener.restarts).toEqual([{ cameraId: 'cam-1', reason: 'stalled', delayMs: 1000, attempt: 1 }]);
  });

  it('waits at least the startup grace for a first frame before calling a run stalled', async () => {
    const h = harness({ stall: 2, timings: { startupGraceMs: 5_000 } });
    h.source.start(h.listener);
    h.clock.advance(4_900);
    expect(h.child().signals).toEqual([]);
    h.clock.advance(200);
    expect(h.listener.lastStatus).toMatchObject({ state: 'offline', reason: 'stalled' });
    expect(h.listener.lastStatus?.detail).toMatch(/^no first frame for 5\.\d s/);
    expect(h.child().signals).toEqual(['SIGTERM']);
  });

  it('never logs or reports the credentials, and rate-limits stderr', async () => {
    const h = harness({ timings: { stderrLinesPerWindow: 5 } });
    h.source.start(h.listener);
    h.child().stderr.write(HEADER);
    for (let i = 0; i < 50; i += 1) h.child().stderr.write(`[h264 @ 0x1] error while decoding MB ${i}\n`);
    h.child().stderr.write(`${URL_WITH_SECRET}: Connection refused\n`);
    await tick();
    await h.child().exit(1);
    expect(h.listener.lastStatus).toMatchObject({ state: 'offline', reason: 'unreachable' });
    expect(h.listener.lastStatus?.detail).toContain('rtsp://REDACTED:REDACTED@10.1.2.3:554/stream?token=REDACTED');
    const all = h.logs.join('\n');
    expect(all).not.toContain('hunter2');
    expect(all).not.toContain('abc123');
    expect(h.argsSeen[0]).toContain(URL_WITH_SECRET); // ffmpeg itself gets the real URL
    const stderrLogged = h.logs.filter((l) => l.includes('"msg":"ffmpeg stderr"')).length;
    expect(stderrLogged).toBe(5);
    // 4 header lines + 50 decode errors + 1 refusal, 5 of them logged
    expect(h.logs.some((l) => l.includes('"suppressed":50'))).toBe(true);
  });

  it('reports spawn failures as offline spawn_failed, whether spawn throws or emits error', async () => {
    const throwing = harness({
      spawnImpl: () => {
        throw Object.assign(new Error('spawn EMFILE'), { code: 'EMFILE' });
      },
    });
    throwing.source.start(throwing.listener);
    expect(throwing.listener.lastStatus).toMatchObject({ state: 'offline', reason: 'spawn_failed' });
    expect(throwing.listener.restarts).toHaveLength(1);

    const emitting = harness({
      spawnImpl: () => {
        const child = new FakeChild();
        child.pid = undefined;
        setImmediate(() => {
          child.emit('error', Object.assign(new Error('spawn /usr/bin/ffmpeg ENOENT'), { code: 'ENOENT' }));
          void child.exit(-2);
        });
        return child;
      },
    });
    emitting.source.start(emitting.listener);
    await tick();
    await tick();
    await tick();
    expect(emitting.listener.lastStatus).toMatchObject({ state: 'offline', reason: 'spawn_failed' });
    expect(emitting.listener.lastStatus?.detail).toContain('ENOENT');
    expect(emitting.listener.restarts).toHaveLength(1);
  });

  it('survives a listener that throws', async () => {
    const h = harness();
    h.listener.onFrame = () => {
      throw new Error('consumer bug');
    };
    h.source.start(h.listener);
    h.child().stderr.write(HEADER);
    await tick();
    await sendFrames(h.child(), 2);
    expect(h.logs.filter((l) => l.includes('listener threw'))).toHaveLength(2);
    expect(h.child().signals).toEqual([]);
  });

  it('stop() is idempotent, kills ffmpeg, waits for it, cancels timers and silences the listener', async () => {
    const h = harness();
    await h.source.stop(); // before start: harmless
    const h2 = harness();
    h2.source.start(h2.listener);
    h2.child().stderr.write(HEADER);
    await tick();
    const first = h2.source.stop();
    const second = h2.source.stop();
    expect(second).toBe(first);
    let stopped = false;
    void first.then(() => (stopped = true));
    expect(h2.child().signals).toEqual(['SIGTERM']);
    await first;
    expect(stopped).toBe(true);
    expect(h2.clock.pendingCount).toBe(0);
    expect(h2.listener.restarts).toHaveLength(0);
    h2.source.start(h2.listener); // a stopped source stays stopped
    expect(h2.children).toHaveLength(1);
    expect(h.children).toHaveLength(0);
  });

  it('stop() during a backoff wait cancels the pending restart', async () => {
    const h = harness();
    h.source.start(h.listener);
    await h.child().exit(1);
    expect(h.clock.pendingCount).toBe(1);
    await h.source.stop();
    h.clock.advance(60_000);
    expect(h.children).toHaveLength(1);
  });

  it('rejects a bad model input size and a second start()', () => {
    const h = harness();
    const camera = cameraSchema.parse({ id: 'cam-2', source: { url: '/x.mp4' } });
    const bad = { camera, sourceUrl: '/x.mp4', ffmpegPath: '/usr/bin/ffmpeg', inputWidth: 0, inputHeight: 416, clock: h.clock };
    expect(() => new FfmpegFrameSource({ ...bad, logger: createRootLogger({ level: 'silent' }) })).toThrow(
      expect.objectContaining({ code: 'invalid_input_size' }),
    );
    h.source.start(h.listener);
    expect(() => h.source.start(h.listener)).toThrow(/start\(\) called twice/);
  });
});
