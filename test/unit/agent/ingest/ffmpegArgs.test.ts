import { computeLetterbox } from '../../../../pipelines/detect/letterbox.js';
import type { CameraConfig } from '../../../../pipelines/config/siteConfig.js';
import { describe, expect, it } from 'vitest';
import { buildFfmpegArgs, inputKind, ioTimeoutMs, letterboxFilter, parseInputVideoSize } from '../../../../agent/ingest/ffmpegArgs.js';

type Source = CameraConfig['source'];

function camera(source: Partial<Source> = {}, extra: { analyticsFps?: number; stallTimeoutSeconds?: number } = {}) {
  return {
    analyticsFps: extra.analyticsFps ?? 5,
    stallTimeoutSeconds: extra.stallTimeoutSeconds ?? 20,
    source: {
      url: 'unused',
      transport: 'tcp' as const,
      loop: false,
      realtime: true,
      hwDecode: 'none' as const,
      codec: 'h264' as const,
      decodeThreads: 1,
      ...source,
    },
  };
}

function valueAfter(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

describe('buildFfmpegArgs', () => {
  it('builds an RTSP command with transport, socket timeout and the letterbox filter graph', () => {
    const args = buildFfmpegArgs({
      camera: camera({ transport: 'udp' }, { analyticsFps: 4, stallTimeoutSeconds: 10 }),
      sourceUrl: 'rtsp://user:pw@10.0.0.5:554/stream1',
      inputWidth: 416,
      inputHeight: 416,
    });
    expect(valueAfter(args, '-rtsp_transport')).toBe('udp');
    expect(valueAfter(args, '-timeout')).toBe('5000000');
    expect(args.indexOf('-timeout')).toBeLessThan(args.indexOf('-i'));
    expect(valueAfter(args, '-i')).toBe('rtsp://user:pw@10.0.0.5:554/stream1');
    expect(valueAfter(args, '-vf')).toBe('fps=4,scale=416:416:force_original_aspect_ratio=decrease:flags=bilinear,format=bgr24,pad=416:416:0:0:color=0x727272');
    expect(valueAfter(args, '-f')).toBe('rawvideo');
    expect(valueAfter(args, '-pix_fmt')).toBe('bgr24');
    expect(valueAfter(args, '-loglevel')).toBe('info');
    expect(args).toEqual(expect.arrayContaining(['-an', '-nostdin', '-hide_banner']));
    expect(args.at(-1)).toBe('pipe:1');
    expect(args).not.toContain('-re');
    expect(args).not.toContain('-stream_loop');
  });

  it('decodes on one thread with one filter thread unless the camera asks for more', () => {
    const one = buildFfmpegArgs({ camera: camera(), sourceUrl: 'rtsp://cam/x', inputWidth: 416, inputHeight: 416 });
    expect(valueAfter(one, '-threads')).toBe('1');
    // a decoder option only applies when it comes before the input it is for
    expect(one.indexOf('-threads')).toBeLessThan(one.indexOf('-i'));
    expect(valueAfter(one, '-filter_threads')).toBe('1');
    expect(valueAfter(buildFfmpegArgs({ camera: camera({ decodeThreads: 4 }), sourceUrl: 'a.mp4', inputWidth: 8, inputHeight: 8 }), '-threads')).toBe('4');
    // 0 is ffmpeg's own choice: the option is left out, not passed as "0" (which means auto too, but says nothing)
    expect(buildFfmpegArgs({ camera: camera({ decodeThreads: 0 }), sourceUrl: 'a.mp4', inputWidth: 8, inputHeight: 8 })).not.toContain('-threads');
  });

  it('treats rtsps like rtsp and defaults to tcp transport', () => {
    const args = buildFfmpegArgs({ camera: camera(), sourceUrl: 'rtsps://cam/x', inputWidth: 640, inputHeight: 480 });
    expect(valueAfter(args, '-rtsp_transport')).toBe('tcp');
    expect(valueAfter(args, '-vf')).toContain('pad=640:480:0:0:color=0x727272');
  });

  it('uses the generic I/O timeout for http(s) and other protocol inputs', () => {
    for (const url of ['http://cam/mjpeg', 'https://cam/live.m3u8', 'srt://10.0.0.9:9000']) {
      const args = buildFfmpegArgs({ camera: camera(), sourceUrl: url, inputWidth: 416, inputHeight: 416 });
      expect(valueAfter(args, '-rw_timeout')).toBe('10000000');
      expect(args).not.toContain('-rtsp_transport');
      expect(valueAfter(args, '-i')).toBe(url);
    }
  });

  it('passes file paths with the file: protocol so ":" or a leading "-" cannot change their meaning', () => {
    const args = buildFfmpegArgs({ camera: camera(), sourceUrl: 'cam:2.mp4', inputWidth: 416, inputHeight: 416 });
    expect(valueAfter(args, '-i')).toBe('file:cam:2.mp4');
    expect(valueAfter(buildFfmpegArgs({ camera: camera(), sourceUrl: '/m/a.mp4', inputWidth: 8, inputHeight: 8 }), '-i')).toBe('file:/m/a.mp4');
  });

  it('adds -stream_loop -1 and -re for files only as configured', () => {
    const both = buildFfmpegArgs({ camera: camera({ loop: true, realtime: true }), sourceUrl: '/media/a.mp4', inputWidth: 416, inputHeight: 416 });
    expect(valueAfter(both, '-stream_loop')).toBe('-1');
    expect(both).toContain('-re');
    expect(both.indexOf('-re')).toBeLessThan(both.indexOf('-i'));
    const neither = buildFfmpegArgs({ camera: camera({ loop: false, realtime: false }), sourceUrl: 'clip.avi', inputWidth: 416, inputHeight: 416 });
    expect(neither).not.toContain('-re');
    expect(neither).not.toContain('-stream_loop');
    expect(neither).not.toContain('-timeout');
    expect(neither).not.toContain('-rtsp_transport');
  });
});

describe('inputKind and ioTimeoutMs', () => {
  it('classifies URLs', () => {
    expect(inputKind('RTSP://x')).toBe('rtsp');
    expect(inputKind('rtsps://x')).toBe('rtsp');
    expect(inputKind('https://x')).toBe('url');
    expect(inputKind('udp://239.0.0.1:1234')).toBe('url');
    expect(inputKind('/a/b.mp4')).toBe('file');
    expect(inputKind('C:\\clips\\a.mp4')).toBe('file');
  });

  it('keeps the I/O timeout between 1 s and 10 s and below the stall timeout', () => {
    expect(ioTimeoutMs(2)).toBe(1000);
    expect(ioTimeoutMs(0.5)).toBe(1000);
    expect(ioTimeoutMs(8)).toBe(4000);
    expect(ioTimeoutMs(3600)).toBe(10_000);
  });

  it('letterboxFilter orders fps before scale so ffmpeg scales only the kept frames', () => {
    expect(letterboxFilter(2.5, 320, 320).startsWith('fps=2.5,scale=320:320')).toBe(true);
  });
});

describe('computeLetterbox', () => {
  it('fits 768x576 into 416x416 with padding at the bottom', () => {
    expect(computeLetterbox(768, 576, 416, 416)).toMatchObject({ scale: 416 / 768, padX: 0, padY: 104, sourceWidth: 768, sourceHeight: 576 });
  });

  it('pads on the right for portrait sources', () => {
    const lb = computeLetterbox(1080, 1920, 640, 640);
    expect(lb.scale).toBeCloseTo(640 / 1920);
    expect(lb).toMatchObject({ padX: 280, padY: 0 });
  });

  it('has no padding when aspect ratios match, and upscales small sources', () => {
    expect(computeLetterbox(1920, 1080, 640, 360)).toMatchObject({ scale: 1 / 3, padX: 0, padY: 0 });
    expect(computeLetterbox(208, 156, 416, 416)).toMatchObject({ scale: 2, padX: 0, padY: 104 });
  });

  it('rounds the fitted size the way ffmpeg does', () => {
    // 1280x720 -> 416: height 416*720/1280 = 234 exactly; 1366x768 -> 416: 233.87 rounds to 234
    expect(computeLetterbox(1280, 720, 416, 416).padY).toBe(182);
    expect(computeLetterbox(1366, 768, 416, 416).padY).toBe(182);
  });

  it('rejects non-positive sizes', () => {
    expect(() => computeLetterbox(0, 576, 416, 416)).toThrow(RangeError);
  });
});

const FILE_STDERR = `Input #0, avi, from '/work/shared/media/vtest.avi':
  Metadata:
    software        : MEncoder 2:1.0~rc2-0ubuntu19
  Duration: 00:01:19.50, start: 0.000000, bitrate: 818 kb/s
  Stream #0:0: Video: msmpeg4v3 (div3 / 0x33766964), yuv420p, 768x576, 816 kb/s, 10 fps, 10 tbr, 10 tbn
Stream mapping:
  Stream #0:0 -> #0:0 (msmpeg4v3 (msmpeg4) -> rawvideo (native))
Output #0, rawvideo, to 'pipe:1':
  Stream #0:0: Video: rawvideo (BGR[24] / 0x18524742), bgr24(pc, gbr/unknown/unknown, progressive), 416x416, q=2-31, 20766 kb/s, 5 fps, 5 tbn
`;

describe('parseInputVideoSize', () => {
  it('reads the input stream size, not the output one, and is not fooled by codec tags', () => {
    expect(parseInputVideoSize(FILE_STDERR)).toEqual({ width: 768, height: 576 });
  });

  it('reads RTSP and mp4 stream lines with ids, languages and colour details', () => {
    const rtsp = `Input #0, rtsp, from 'rtsp://REDACTED:REDACTED@127.0.0.1:8554/cam':
  Stream #0:0: Video: h264 (Constrained Baseline), yuv420p(progressive), 1920x1080, 10 fps, 10 tbr, 90k tbn`;
    expect(parseInputVideoSize(rtsp)).toEqual({ width: 1920, height: 1080 });
    const mp4 = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.mp4':
  Stream #0:0[0x1](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 128 kb/s (default)
  Stream #0:1[0x2](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, progressive), 1280x720 [SAR 1:1 DAR 16:9], 2000 kb/s, 25 fps (default)`;
    expect(parseInputVideoSize(mp4)).toEqual({ width: 1280, height: 720 });
  });

  it('returns undefined without an input video stream, even if the output has one', () => {
    expect(parseInputVideoSize('')).toBeUndefined();
    expect(parseInputVideoSize(FILE_STDERR.slice(FILE_STDERR.indexOf('Stream mapping')))).toBeUndefined();
    expect(parseInputVideoSize("Input #0, wav, from 'a.wav':\n  Stream #0:0: Audio: pcm_s16le, 44100 Hz, 2 channels")).toBeUndefined();
  });

  it('handles CRLF line endings', () => {
    expect(parseInputVideoSize(FILE_STDERR.replace(/\n/g, '\r\n'))).toEqual({ width: 768, height: 576 });
  });
});
