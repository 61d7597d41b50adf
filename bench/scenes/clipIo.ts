import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseInputVideoSize } from '../../agent/ingest/ffmpegArgs.js';
import type { RgbImage } from './rgbImage.js';

/** ffmpeg's last words, bounded: enough to say why it failed, never the whole log. */
const tail = (text: string): string => text.slice(-600);

/**
 * Every `every`-th frame of a clip (frames 0, every, 2*every, ...), at its own size, as RGB24,
 * decoded by an ffmpeg child. At most `maxFrames` frames are kept.
 */
export async function readClipFrames(options: {
  ffmpegPath: string;
  clipPath: string;
  every: number;
  maxFrames: number;
}): Promise<{ frames: RgbImage[]; indices: number[] }> {
  const { ffmpegPath, clipPath, every, maxFrames } = options;
  const args = [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-i',
    clipPath,
    '-vf',
    `select=not(mod(n\\,${every}))`,
    '-fps_mode',
    'passthrough',
    '-frames:v',
    String(maxFrames),
  ];
  const child = spawn(ffmpegPath, [...args, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.setEncoding('utf8');
  // The header (with the input's size) comes first; after it only the tail is kept, for errors.
  let header = '';
  child.stderr.on('data', (text: string) => {
    if (header.length < 16_384) header += text;
    stderr = tail(stderr + text);
  });
  const [code] = (await once(child, 'close')) as [number | null];
  const size = parseInputVideoSize(header);
  if (code !== 0 || !size) throw new Error(`scenes: ffmpeg could not decode ${clipPath} (exit ${code}): ${tail(stderr)}`);
  const all = Buffer.concat(chunks);
  const frameBytes = size.width * size.height * 3;
  const count = Math.floor(all.length / frameBytes);
  const frames: RgbImage[] = [];
  for (let i = 0; i < count; i++)
    frames.push({ width: size.width, height: size.height, data: new Uint8Array(all.subarray(i * frameBytes, (i + 1) * frameBytes)) });
  return { frames, indices: frames.map((_, i) => i * every) };
}

/**
 * An MJPEG clip from RGB24 frames, encoded by an ffmpeg child: intra-only at a fixed quality, one
 * thread and bit-exact flags, so the same frames always give the same bytes.
 */
export class ClipEncoder {
  private readonly child;
  private stderr = '';
  private readonly closed: Promise<[number | null]>;

  constructor(options: { ffmpegPath: string; outPath: string; width: number; height: number; fps: number }) {
    const { ffmpegPath, outPath, width, height, fps } = options;
    const args = ['-hide_banner', '-nostdin', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0'];
    const output = [
      '-c:v',
      'mjpeg',
      '-q:v',
      '3',
      '-pix_fmt',
      'yuvj420p',
      '-threads',
      '1',
      '-fflags',
      '+bitexact',
      '-flags:v',
      '+bitexact',
      '-an',
      '-f',
      'avi',
      outPath,
    ];
    this.child = spawn(ffmpegPath, [...args, ...output], { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => (this.stderr = tail(this.stderr + text)));
    this.closed = once(this.child, 'close') as Promise<[number | null]>;
    // A failed write shows as ffmpeg's exit code in finish(); the stream's own error says less.
    this.child.stdin.on('error', () => undefined);
  }

  async write(frame: RgbImage): Promise<void> {
    if (!this.child.stdin.write(frame.data)) await Promise.race([once(this.child.stdin, 'drain'), this.closed]);
  }

  async finish(): Promise<void> {
    this.child.stdin.end();
    const [code] = await this.closed;
    if (code !== 0) throw new Error(`scenes: ffmpeg could not encode the clip (exit ${code}): ${this.stderr}`);
  }
}
