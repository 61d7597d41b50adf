import { spawn } from 'node:child_process';
import { sourceSchema } from '../pipelines/config/sourceSchema.js';
import { computeLetterbox } from '../pipelines/detect/letterbox.js';
import type { Frame } from '../pipelines/types.js';
import { buildFfmpegArgs, parseInputVideoSize } from '../agent/ingest/ffmpegArgs.js';
import { FrameCutter } from '../agent/ingest/FrameCutter.js';

export interface ClipFramesOptions {
  readonly ffmpegPath: string;
  readonly clipPath: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly count: number;
}

/**
 * Decodes the first `count` frames of the clip exactly as the agent's ingest does (same ffmpeg
 * filter graph, same letterbox), before anything is timed.
 */
export async function decodeClipFrames(options: ClipFramesOptions): Promise<Frame[]> {
  const { width, height, fps, count } = options;
  const args = buildFfmpegArgs({
    camera: { analyticsFps: fps, stallTimeoutSeconds: 20, source: sourceSchema.parse({ url: options.clipPath, realtime: false }) },
    sourceUrl: options.clipPath,
    inputWidth: width,
    inputHeight: height,
  });
  const child = spawn(options.ffmpegPath, [...args.slice(0, -1), '-frames:v', String(count), 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const pixels: Uint8Array[] = [];
  const cutter = new FrameCutter(width * height * 3);
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => cutter.push(chunk, (frame) => pixels.push(frame)));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => (stderr += text));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const size = parseInputVideoSize(stderr);
  if (code !== 0 || !size || pixels.length === 0) throw new Error(`bench: ffmpeg could not decode ${options.clipPath} (exit ${code}): ${stderr.slice(-500)}`);
  const { scale, padX, padY, sourceWidth, sourceHeight } = computeLetterbox(size.width, size.height, width, height);
  const letterbox = { scale, padX, padY, sourceWidth, sourceHeight };
  return pixels.map((data, i) => ({ cameraId: 'bench', seq: i + 1, captureTime: i * (1000 / fps), width, height, pixels: data, letterbox }));
}
