import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { ReplayFrameSource } from '../../../agent/replay/ReplayFrameSource.js';
import type { Frame } from '../../../pipelines/types.js';
import { policyCamera } from '../../helpers/policyScene.js';

const dir = mkdtempSync(join(tmpdir(), 'c5-replay-source-'));
const clip = join(dir, 'testsrc-2s.mp4');
const START = Date.parse('2026-11-29T18:00:00Z');

function source(input: string, drained: () => Promise<void>): ReplayFrameSource {
  return new ReplayFrameSource({
    camera: policyCamera({ id: 'cam', analyticsFps: 10 }),
    input,
    ffmpegPath: 'ffmpeg',
    inputWidth: 32,
    inputHeight: 32,
    startTime: START,
    drained,
    logger: createRootLogger({ level: 'silent' }),
  });
}

const listener = (onFrame: (frame: Frame) => void) => ({ onFrame, onStatus: () => undefined, onRestart: () => undefined });

beforeAll(() => {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=25:duration=2', '-pix_fmt', 'yuv420p', clip]);
});

describe('ReplayFrameSource', () => {
  it('hands over every frame, each only after the consumer is done with the last, timed from its index', async () => {
    const frames: Frame[] = [];
    let busy = false;
    const replay = source(clip, async () => {
      busy = true;
      // a consumer far slower than the decoder: live, most of these frames would be replaced
      await new Promise((resolve) => setTimeout(resolve, 15));
      busy = false;
    });
    replay.start(
      listener((frame) => {
        expect(busy).toBe(false);
        frames.push(frame);
      }),
    );
    expect(await replay.done).toEqual({ frames: 20 });
    expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 20 }, (_v, i) => i + 1));
    expect(frames.map((f) => f.captureTime)).toEqual(Array.from({ length: 20 }, (_v, i) => START + i * 100));
    expect(frames[0]).toMatchObject({ cameraId: 'cam', width: 32, height: 32, letterbox: { sourceWidth: 64, sourceHeight: 48 } });
    await replay.stop();
  });

  it("fails with ffmpeg's words when the input is not video", async () => {
    const junk = join(dir, 'junk.mp4');
    writeFileSync(junk, 'not a video\n'.repeat(20));
    const replay = source(junk, async () => undefined);
    replay.start(listener(() => undefined));
    await expect(replay.done).rejects.toMatchObject({ code: 'replay_ffmpeg_failed', message: expect.stringContaining(`ffmpeg could not decode ${junk}`) });
  });
});
