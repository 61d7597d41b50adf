import type { CameraConfig } from '../../pipelines/config/siteConfig.js';
import { PAD_VALUE } from '../../pipelines/detect/letterbox.js';
import type { HwDecodePlan } from './hwDecode.js';

/**
 * Everything about how ffmpeg is invoked, as pure functions: the argument list, the letterbox it
 * produces, and reading the source size back from its stderr. Kept apart from the process
 * handling so the exact command line is unit-tested without spawning anything.
 */

/** ffmpeg's spelling of PAD_VALUE in every channel: 0x727272. */
const PAD_COLOR = `0x${PAD_VALUE.toString(16).padStart(2, '0').repeat(3)}`;

/** `rtsp`: rtsp(s)://; `url`: any other scheme:// (http(s), srt, udp, ...); `file`: a path. */
export type InputKind = 'rtsp' | 'url' | 'file';

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

export function inputKind(url: string): InputKind {
  if (/^rtsps?:\/\//i.test(url)) return 'rtsp';
  if (SCHEME.test(url)) return 'url';
  return 'file';
}

/**
 * ffmpeg reads "name:rest" as protocol "name", and a leading "-" as an option; the file:
 * prefix makes a relative path such as "cam:2.mp4" or "-x.mp4" mean that file.
 */
export function ffmpegInput(url: string): string {
  return inputKind(url) === 'file' ? `file:${url}` : url;
}

export function isNetworkInput(url: string): boolean {
  return inputKind(url) !== 'file';
}

export interface FfmpegArgsOptions {
  camera: Pick<CameraConfig, 'analyticsFps' | 'stallTimeoutSeconds' | 'source'>;
  /** resolved URL or path; may carry credentials, so the result must never be logged as is */
  sourceUrl: string;
  inputWidth: number;
  inputHeight: number;
  /** hardware decoding for this run; software when absent */
  hwDecode?: HwDecodePlan | undefined;
}

/**
 * Socket I/O timeout for network inputs. Below the stall timeout so that ffmpeg itself reports
 * why a camera is silent (refused, timed out) before the watchdog has to kill it blind.
 */
export function ioTimeoutMs(stallTimeoutSeconds: number): number {
  return Math.round(Math.min(10_000, Math.max(1_000, (stallTimeoutSeconds * 1000) / 2)));
}

/** `downloadFilters` bring hardware frames into system memory after `fps` has dropped the unused ones. */
export function letterboxFilter(fps: number, width: number, height: number, downloadFilters: readonly string[] = []): string {
  // format=bgr24 before pad: padding in YUV and converting back would not give exactly 114.
  return [
    `fps=${fps}`,
    ...downloadFilters,
    // Bilinear: what YOLO-family models are trained with (OpenCV INTER_LINEAR), and cheaper than
    // swscale's default bicubic (12 % less decoder CPU on the plaza clip).
    `scale=${width}:${height}:force_original_aspect_ratio=decrease:flags=bilinear`,
    'format=bgr24',
    `pad=${width}:${height}:0:0:color=${PAD_COLOR}`,
  ].join(',');
}

/**
 * Everything up to and including `-i`: log settings, the transport, I/O timeout, file looping and
 * pacing, and the hardware-decoding input options. `c5-agent snapshot` builds its own outputs on
 * this, so it opens a camera exactly as the agent does.
 */
export function buildFfmpegInputArgs(options: Omit<FfmpegArgsOptions, 'inputWidth' | 'inputHeight'>): string[] {
  const { camera, sourceUrl } = options;
  const source = camera.source;
  // info level is needed: the "Input #0 ... Stream #0:0: Video: ... WxH" dump is how the source
  // size (and so the letterbox) is learnt. -nostats drops the progress line spam.
  // One filter-graph thread: the graph (fps, a downscale, a pad) is small, and ffmpeg's default of
  // one thread per core only adds threads competing with the decoders and inference.
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-filter_threads', '1'];
  const timeoutUs = String(ioTimeoutMs(camera.stallTimeoutSeconds) * 1000);
  switch (inputKind(sourceUrl)) {
    case 'rtsp':
      // ffmpeg 5.x: -timeout is the RTSP socket timeout in microseconds (-stimeout is gone).
      args.push('-rtsp_transport', source.transport, '-timeout', timeoutUs);
      break;
    case 'url':
      // the generic protocol-level I/O timeout, honoured by http, tcp, udp, srt and others
      args.push('-rw_timeout', timeoutUs);
      break;
    case 'file':
      if (source.loop) args.push('-stream_loop', '-1');
      if (source.realtime) args.push('-re');
      break;
  }
  if (options.hwDecode) args.push(...options.hwDecode.inputArgs);
  // 0: ffmpeg's own choice, which is what leaving the option out gives
  if (source.decodeThreads > 0) args.push('-threads', String(source.decodeThreads));
  args.push('-i', ffmpegInput(sourceUrl));
  return args;
}

export function buildFfmpegArgs(options: FfmpegArgsOptions): string[] {
  const { camera, inputWidth, inputHeight } = options;
  return [
    ...buildFfmpegInputArgs(options),
    '-an',
    // only the first video stream: a camera's data or second video track must not change the frame layout
    '-map',
    '0:v:0',
    '-vf',
    letterboxFilter(camera.analyticsFps, inputWidth, inputHeight, options.hwDecode?.downloadFilters),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'bgr24',
    'pipe:1',
  ];
}

/** The codec name of the input's first video stream ("Stream #0:0: Video: hevc (Main), ..."). */
export function parseInputVideoCodec(stderr: string): string | undefined {
  const input = stderr.split(/^(?:Output #\d+|Stream mapping:)/m)[0] ?? '';
  return /^\s*Stream #0:\d+.*?: Video: ([a-z0-9_]+)/m.exec(input)?.[1];
}

/** The size is the first "WxH" field after a comma; codec tags such as "0x34363248" never follow ", ". */
const VIDEO_STREAM = /^\s*Stream #0:\d+.*?: Video: .*?, (\d{1,5})x(\d{1,5})(?=[\s,[]|$)/;

/**
 * Source video size from ffmpeg's stderr: the first video stream of the Input section. The
 * Output section lists the scaled stream too, so lines after "Output #" are ignored.
 */
export function parseInputVideoSize(stderr: string): { width: number; height: number } | undefined {
  let inInput = false;
  for (const line of stderr.split(/\r?\n/)) {
    if (/^Input #\d+/.test(line)) {
      inInput = true;
      continue;
    }
    if (/^(Output #\d+|Stream mapping:)/.test(line)) {
      inInput = false;
      continue;
    }
    if (!inInput) continue;
    const match = VIDEO_STREAM.exec(line);
    if (match) {
      const width = Number(match[1]);
      const height = Number(match[2]);
      if (width > 0 && height > 0) return { width, height };
    }
  }
  return undefined;
}
