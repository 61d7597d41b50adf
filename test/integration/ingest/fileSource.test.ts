import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PAD_VALUE } from '../../../pipelines/detect/letterbox.js';
import { clipPath } from '../../helpers/media.js';
import { RecordingListener, waitFor } from '../../helpers/recordingListener.js';
import { INPUT, startSource, stopAllSources } from './harness.js';

afterEach(stopAllSources);

let tempDir: string;
beforeAll(() => {
  tempDir = mkdtempSync(join(tmpdir(), 'c5-ingest-'));
});
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

describe('FfmpegFrameSource on files (real ffmpeg)', () => {
  it('decodes the whole clip at the analytics fps into letterboxed 416x416 BGR frames', async () => {
    // Not realtime: ffmpeg reads as fast as it can, so the frame count (79.5 s at 5 fps) is
    // deterministic and the test does not depend on wall-clock speed.
    const { listener } = startSource({ url: clipPath, realtime: false, analyticsFps: 5, stallTimeoutSeconds: 10 });
    await waitFor('the clip to end', () => listener.statuses.some((s) => s.state === 'offline'), 60_000);

    expect(listener.statuses[0]).toMatchObject({ cameraId: 'cam-it', state: 'online' });
    expect(listener.statuses[1]).toMatchObject({ state: 'offline', reason: 'exited' });
    expect(listener.statuses[1]?.detail).toContain('end of stream');
    const frames = listener.frames.filter((f) => f.receivedAt <= (listener.statuses[1]?.since ?? Infinity));
    expect(frames.length).toBeGreaterThanOrEqual(396);
    expect(frames.length).toBeLessThanOrEqual(400);
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i + 1));
    const first = frames[0]!;
    expect(first).toMatchObject({ width: INPUT, height: INPUT });
    expect(first.letterbox).toMatchObject({ scale: INPUT / 768, padX: 0, padY: 104, sourceWidth: 768, sourceHeight: 576 });

    const pixels = listener.lastPixels!;
    expect(pixels).toHaveLength(INPUT * INPUT * 3);
    // below row 312 is padding, exactly 114 in every channel; above it is picture
    const padding = pixels.subarray(313 * INPUT * 3);
    expect(padding.every((v) => v === PAD_VALUE)).toBe(true);
    const picture = pixels.subarray(0, 300 * INPUT * 3);
    expect(picture.some((v) => v !== PAD_VALUE)).toBe(true);
  }, 90_000);

  it('reuses the pixel buffers of released frames: a steady stream needs one or two, each frame whole', async () => {
    let wrongPadding = 0;
    const listener = new RecordingListener((pixels) => {
      // below row 312 is padding in every frame of this clip: a buffer reused while still being filled would show picture there
      if (!pixels.subarray(313 * INPUT * 3).every((v) => v === PAD_VALUE)) wrongPadding += 1;
    });
    startSource({ url: clipPath, realtime: false, analyticsFps: 5, stallTimeoutSeconds: 10, listener });
    await waitFor('60 frames', () => listener.frames.length >= 60, 30_000);
    expect(wrongPadding).toBe(0);
    expect(listener.buffers.size).toBeGreaterThanOrEqual(1);
    expect(listener.buffers.size).toBeLessThanOrEqual(2);
  }, 40_000);

  it('reads in real time when asked (looping on)', async () => {
    const { listener } = startSource({ url: clipPath, realtime: true, loop: true, analyticsFps: 5 });
    await waitFor('10 frames', () => listener.frames.length >= 10, 15_000);
    // -re can only slow ffmpeg down: 10 frames at 5 fps span at least ~1.8 s of wall time
    const span = listener.frames[9]!.captureTime - listener.frames[0]!.captureTime;
    expect(span).toBeGreaterThanOrEqual(1_400);
  }, 30_000);

  it('reports a file that is not video as offline not_video and restarts it with backoff', async () => {
    const path = join(tempDir, 'camera.mp4');
    writeFileSync(path, 'this is a text file, not a video\n'.repeat(20));
    const { listener, source } = startSource({ url: path });
    await waitFor('two restarts', () => listener.restarts.length >= 2, 15_000);
    expect(listener.statuses).toHaveLength(1);
    expect(listener.statuses[0]).toMatchObject({ state: 'offline', reason: 'not_video' });
    expect(listener.statuses[0]?.detail).toContain('Invalid data found when processing input');
    expect(listener.restarts.slice(0, 2)).toEqual([
      { cameraId: 'cam-it', reason: 'not_video', delayMs: 1000, attempt: 1 },
      { cameraId: 'cam-it', reason: 'not_video', delayMs: 2000, attempt: 2 },
    ]);
    expect(listener.frames).toHaveLength(0);
    await source.stop();
  }, 30_000);

  it('reports a missing file as not_found and a missing ffmpeg as spawn_failed', async () => {
    const missing = startSource({ url: join(tempDir, 'nope.mp4') });
    const noFfmpeg = startSource({ url: clipPath, ffmpegPath: join(tempDir, 'no-such-ffmpeg') });
    await waitFor('both offline', () => missing.listener.restarts.length > 0 && noFfmpeg.listener.restarts.length > 0, 10_000);
    expect(missing.listener.lastStatus).toMatchObject({ state: 'offline', reason: 'not_found' });
    expect(noFfmpeg.listener.lastStatus).toMatchObject({ state: 'offline', reason: 'spawn_failed' });
    expect(noFfmpeg.listener.lastStatus?.detail).toContain('ENOENT');
  }, 20_000);
});
