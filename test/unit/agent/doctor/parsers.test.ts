import { describe, expect, it } from 'vitest';
import { parseProbedStream } from '../../../../agent/doctor/checkCameras.js';
import { parseFfmpegVersion } from '../../../../agent/doctor/checkFfmpeg.js';

describe('parseProbedStream (ffprobe -of json)', () => {
  it('reads codec, size and the average frame rate, else the real one', () => {
    const json = (stream: object): string => JSON.stringify({ programs: [], streams: [stream] });
    expect(parseProbedStream(json({ codec_name: 'h264', width: 1920, height: 1080, avg_frame_rate: '25/1', r_frame_rate: '50/1' }))).toEqual({
      codec: 'h264',
      width: 1920,
      height: 1080,
      fps: 25,
    });
    expect(parseProbedStream(json({ codec_name: 'hevc', width: 2560, height: 1440, avg_frame_rate: '0/0', r_frame_rate: '30000/1001' }))?.fps).toBeCloseTo(
      29.97,
      2,
    );
    expect(parseProbedStream(json({ codec_name: 'h264', width: 640, height: 480, avg_frame_rate: '0/0', r_frame_rate: '0/0' }))?.fps).toBeUndefined();
  });

  it('refuses what is not a described video stream', () => {
    expect(parseProbedStream('{"streams": []}')).toBeUndefined();
    expect(parseProbedStream('not json')).toBeUndefined();
    expect(parseProbedStream('null')).toBeUndefined();
    expect(parseProbedStream(JSON.stringify({ streams: [{ codec_name: 'h264', width: -1, height: 480 }] }))).toBeUndefined();
    expect(parseProbedStream(JSON.stringify({ streams: [{ codec_name: 'h264\n FAIL', width: 640, height: 480 }] }))).toBeUndefined();
  });
});

describe('parseFfmpegVersion', () => {
  it('reads release, distribution and git build versions', () => {
    expect(parseFfmpegVersion('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers')).toEqual({ text: '5.1.9-0+deb12u1', major: 5 });
    expect(parseFfmpegVersion('ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright')).toEqual({ text: '4.4.2-0ubuntu0.22.04.1', major: 4 });
    expect(parseFfmpegVersion('ffmpeg version n6.1 Copyright')).toEqual({ text: 'n6.1', major: 6 });
    expect(parseFfmpegVersion('ffmpeg version N-112233-gabcdef Copyright')).toEqual({ text: 'N-112233-gabcdef', major: undefined });
    expect(parseFfmpegVersion('something else')).toBeUndefined();
  });
});
