import { describe, expect, it } from 'vitest';
import { buildFfmpegArgs } from '../../../../agent/ingest/ffmpegArgs.js';
import {
  AUTO_ORDER,
  findHwFailure,
  HW_DEVICE_NODES,
  hwDecodePlan,
  parseDecoders,
  parseHwaccels,
  resolveAutoPreset,
  type HardwarePreset,
  type HwDecodeCapabilities,
} from '../../../../agent/ingest/hwDecode.js';
import { cameraSchema } from '../../../../pipelines/config/siteConfig.js';

function argsWith(preset: HardwarePreset, codec: 'h264' | 'hevc' = 'h264', url = 'rtsp://cam/1'): string[] {
  const camera = cameraSchema.parse({ id: 'c', source: { url }, analyticsFps: 5 });
  return buildFfmpegArgs({ camera, sourceUrl: url, inputWidth: 416, inputHeight: 416, hwDecode: hwDecodePlan(preset, codec) });
}

function valueAfter(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

const SOFTWARE_FILTER = 'fps=5,scale=416:416:force_original_aspect_ratio=decrease:flags=bilinear,format=bgr24,pad=416:416:0:0:color=0x727272';
const DOWNLOAD_FILTER =
  'fps=5,hwdownload,format=nv12,scale=416:416:force_original_aspect_ratio=decrease:flags=bilinear,format=bgr24,pad=416:416:0:0:color=0x727272';

describe('hardware decoding presets expand to ffmpeg arguments', () => {
  it.each([
    ['rpi', 'h264', 'h264_v4l2m2m'],
    ['rpi', 'hevc', 'hevc_v4l2m2m'],
    ['jetson', 'h264', 'h264_nvv4l2dec'],
    ['jetson', 'hevc', 'hevc_nvv4l2dec'],
    ['rockchip', 'h264', 'h264_rkmpp'],
    ['rockchip', 'hevc', 'hevc_rkmpp'],
  ] as const)('%s with %s forces the %s decoder on the input and needs no download', (preset, codec, decoder) => {
    const args = argsWith(preset, codec);
    expect(valueAfter(args, '-c:v')).toBe(decoder);
    expect(args.indexOf('-c:v')).toBeLessThan(args.indexOf('-i'));
    expect(args).not.toContain('-hwaccel');
    // these decoders hand over frames in system memory: the software filter graph is unchanged
    expect(valueAfter(args, '-vf')).toBe(SOFTWARE_FILTER);
    expect(hwDecodePlan(preset, codec).decoder).toBe(decoder);
  });

  it('vaapi opens the render node, keeps frames on the GPU through fps, then downloads them as NV12', () => {
    const args = argsWith('vaapi', 'hevc');
    // the hardware options, then the camera's decoder threads, then the input
    expect(args.slice(args.indexOf('-hwaccel'), args.indexOf('-i'))).toEqual([
      '-hwaccel',
      'vaapi',
      '-hwaccel_device',
      '/dev/dri/renderD128',
      '-hwaccel_output_format',
      'vaapi',
      '-threads',
      '1',
    ]);
    expect(args).not.toContain('-c:v');
    expect(valueAfter(args, '-vf')).toBe(DOWNLOAD_FILTER);
  });

  it('cuda uses the cuda hwaccel with the same download, whatever the codec', () => {
    for (const codec of ['h264', 'hevc'] as const) {
      const args = argsWith('cuda', codec);
      expect(args.slice(args.indexOf('-hwaccel'), args.indexOf('-i'))).toEqual(['-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda', '-threads', '1']);
      expect(valueAfter(args, '-vf')).toBe(DOWNLOAD_FILTER);
    }
  });

  it('keeps the input protocol options and the file: prefix next to the hardware options', () => {
    const rtsp = argsWith('rpi');
    expect(valueAfter(rtsp, '-rtsp_transport')).toBe('tcp');
    expect(valueAfter(rtsp, '-i')).toBe('rtsp://cam/1');
    const file = argsWith('cuda', 'h264', '/media/clip.mp4');
    expect(valueAfter(file, '-i')).toBe('file:/media/clip.mp4');
    expect(file.indexOf('-re')).toBeLessThan(file.indexOf('-i'));
    expect(file.at(-1)).toBe('pipe:1');
  });
});

const PI4: HwDecodeCapabilities = {
  hwaccels: ['vdpau', 'cuda', 'vaapi', 'drm'],
  decoders: ['h264', 'hevc', 'h264_v4l2m2m', 'hevc_v4l2m2m'],
  devices: ['/dev/video10', '/dev/dri/renderD128'],
};

describe('resolveAutoPreset', () => {
  it('prefers the board engine over a render node that has no VA-API driver behind it', () => {
    expect(resolveAutoPreset('h264', PI4)).toBe('rpi');
  });

  it('needs both the decoder in ffmpeg and the device node on the box', () => {
    expect(resolveAutoPreset('h264', { ...PI4, devices: [] })).toBe('none');
    expect(resolveAutoPreset('h264', { ...PI4, decoders: ['h264'], devices: ['/dev/video10'] })).toBe('none');
    // Debian's ffmpeg on a PC without any of the devices: everything compiled in, nothing to use
    expect(resolveAutoPreset('h264', { hwaccels: ['cuda', 'vaapi'], decoders: ['h264_v4l2m2m', 'h264_cuvid'], devices: [] })).toBe('none');
  });

  it('finds Jetson (either device node), Rockchip, VA-API and CUDA boxes', () => {
    const jetson = { hwaccels: ['cuda'], decoders: ['h264_nvv4l2dec', 'hevc_nvv4l2dec'], devices: ['/dev/v4l2-nvdec'] };
    expect(resolveAutoPreset('hevc', jetson)).toBe('jetson');
    expect(resolveAutoPreset('h264', { ...jetson, devices: ['/dev/nvhost-nvdec'] })).toBe('jetson');
    const rk = { hwaccels: ['drm', 'rkmpp'], decoders: ['h264_rkmpp', 'hevc_rkmpp'], devices: ['/dev/mpp_service', '/dev/dri/renderD128'] };
    expect(resolveAutoPreset('h264', rk)).toBe('rockchip');
    expect(resolveAutoPreset('h264', { hwaccels: ['vaapi', 'cuda'], decoders: [], devices: ['/dev/dri/renderD128'] })).toBe('vaapi');
    expect(resolveAutoPreset('h264', { hwaccels: ['vaapi', 'cuda'], decoders: [], devices: ['/dev/nvidiactl'] })).toBe('cuda');
  });

  it('tries every hardware preset, and each has device nodes to look for', () => {
    expect([...AUTO_ORDER].sort()).toEqual(['cuda', 'jetson', 'rockchip', 'rpi', 'vaapi']);
    for (const preset of AUTO_ORDER) expect(HW_DEVICE_NODES[preset].length).toBeGreaterThan(0);
  });
});

describe('ffmpeg capability listings', () => {
  it('parses `ffmpeg -hwaccels`', () => {
    expect(parseHwaccels('Hardware acceleration methods:\nvdpau\ncuda\nvaapi\nqsv\ndrm\nopencl\nvulkan\n\n')).toEqual([
      'vdpau',
      'cuda',
      'vaapi',
      'qsv',
      'drm',
      'opencl',
      'vulkan',
    ]);
  });

  it('parses `ffmpeg -decoders` rows and skips the legend', () => {
    const listing = `Decoders:
 V..... = Video
 A..... = Audio
 .F.... = Frame-level multithreading
 ------
 V....D 012v                 Uncompressed 4:2:2 10-bit
 VFS..D h264                 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10
 V..... h264_v4l2m2m         V4L2 mem2mem H.264 decoder wrapper (codec h264)
 A....D aac                  AAC (Advanced Audio Coding)
`;
    expect(parseDecoders(listing)).toEqual(['012v', 'h264', 'h264_v4l2m2m', 'aac']);
  });
});

describe('findHwFailure', () => {
  // what Debian's ffmpeg 5.1 prints on a box without the hardware (captured on the CI machine)
  it.each([
    [
      'rpi',
      [
        '[h264_v4l2m2m @ 0x5647] Could not find a valid device',
        "[h264_v4l2m2m @ 0x5647] can't configure decoder",
        'Error while opening decoder for input stream #0:0 : Invalid argument',
      ],
    ],
    ['jetson', ["Unknown decoder 'h264_nvv4l2dec'"]],
    ['rockchip', ['Unrecognized hwaccel: rkmpp.', 'Supported hwaccels: vdpau cuda vaapi qsv drm opencl vulkan ']],
    [
      'vaapi',
      [
        '[AVHWDeviceContext @ 0x5600] No VA display found for device /dev/dri/renderD128.',
        'Device creation failed: -22.',
        'Device setup failed for decoder on input stream #0:0 : Invalid argument',
      ],
    ],
    ['cuda', ['[AVHWDeviceContext @ 0x5603] Cannot load libcuda.so.1', 'Could not dynamically load CUDA', 'Device creation failed: -1.']],
    [
      'download',
      ["Impossible to convert between the formats supported by the filter 'Parsed_fps_0' and the filter 'auto_scale_0'", 'Error reinitializing filters!'],
    ],
  ])('blames the hardware for %s start-up errors', (_name, lines) => {
    expect(findHwFailure(lines)).toBeDefined();
  });

  it('returns the newest matching line', () => {
    expect(findHwFailure(['Could not find a valid device', 'Error while opening decoder for input stream #0:0 : Invalid argument', 'Conversion failed!'])).toBe(
      'Error while opening decoder for input stream #0:0 : Invalid argument',
    );
  });

  it('does not blame the hardware for a camera that does not answer or a bad stream', () => {
    expect(findHwFailure(['rtsp://REDACTED@10.0.0.5/x: Connection refused'])).toBeUndefined();
    expect(findHwFailure(['/x.mp4: Invalid data found when processing input', '401 Unauthorized'])).toBeUndefined();
    expect(findHwFailure([])).toBeUndefined();
  });
});
