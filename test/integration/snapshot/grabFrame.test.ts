import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { grabFrame } from '../../../agent/snapshot/grabFrame.js';
import { cameraSchema } from '../../../pipelines/config/siteConfig.js';
import type { Frame } from '../../../pipelines/types.js';

/**
 * The PNG of a --detect grab must be the picture of the last analysis frame, or boxes would be
 * drawn on another moment. A clip whose every frame is one flat grey that rises by 2 a frame
 * (25 fps) tells frames apart: at analyticsFps 5 the sampled frames are 10 grey levels apart.
 */
const dir = mkdtempSync(join(tmpdir(), 'c5-grab-frame-'));
const clip = join(dir, 'ramp.mkv');
execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', "nullsrc=s=320x240:r=25:d=4,geq=lum='mod(N*2,200)+20':cb=128:cr=128", '-c:v', 'ffv1', clip]);

describe('grabFrame', () => {
  it('writes the same frame as the last analysis frame it delivered', async () => {
    const camera = cameraSchema.parse({ id: 'ramp', source: { url: clip }, analyticsFps: 5 });
    const delivered: number[] = [];
    const onFrame = async (frame: Frame): Promise<void> => {
      // the top-left pixel of the letterboxed BGR frame (the picture starts there)
      delivered.push(frame.pixels[0]!);
      await new Promise((resolve) => setTimeout(resolve, 20)); // a slow detector: ffmpeg must wait, not run ahead
    };
    const result = await grabFrame({
      camera,
      sourceUrl: clip,
      ffmpegPath: 'ffmpeg',
      seekSeconds: 1,
      timeoutMs: 20_000,
      workDir: dir,
      analysis: { inputWidth: 64, inputHeight: 64, frames: 6, onFrame },
      logger: createRootLogger({ level: 'silent' }),
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.analysedFrames).toBe(6);
    expect(delivered).toHaveLength(6);
    // consecutive analysis frames are 5 source frames, 10 grey levels, apart
    for (let i = 1; i < delivered.length; i += 1) expect(Math.abs(delivered[i]! - delivered[i - 1]! - 10)).toBeLessThanOrEqual(2);
    const { data } = await sharp(result.png).raw().toBuffer({ resolveWithObject: true });
    expect(Math.abs(data[0]! - delivered[5]!)).toBeLessThanOrEqual(2);
  });
});
