import type { HwDecodePreset, VideoCodec } from '../../pipelines/config/sourceSchema.js';

/**
 * Hardware-decoding presets as pure data: what each one adds to the ffmpeg command line, how
 * `auto` chooses one from what the box offers, and how to tell from ffmpeg's stderr that a
 * hardware path failed to start. The process side (probing, falling back) is in
 * probeHwDecode.ts and HardwareDecoding.ts.
 *
 * Why each preset looks the way it does:
 * - rpi: the V4L2 memory-to-memory decoder of the Pi 4 / CM4 (bcm2835-codec, /dev/video10), which
 *   Debian's ffmpeg has as `h264_v4l2m2m`. It returns frames in system memory. The Pi 5 has no
 *   H.264 block at all, and its HEVC block is stateless (rpivid): there `hevc_v4l2m2m` fails and
 *   the camera falls back to software, which is the right choice on a Pi 5 anyway.
 * - jetson: NVIDIA's JetPack ffmpeg package (`apt install ffmpeg` from the L4T repository) adds
 *   `h264_nvv4l2dec` / `hevc_nvv4l2dec` on the NVDEC engine (/dev/nvhost-nvdec, /dev/v4l2-nvdec
 *   from JetPack 6); it copies YUV 4:2:0 frames to system memory. `-hwaccel cuda` does not exist
 *   on Jetson (its NVDEC is not reachable through libnvcuvid), and the community `*_nvmpi`
 *   decoders need a patched ffmpeg build, so NVIDIA's own package is the supported path.
 * - rockchip: the MPP decoders (`h264_rkmpp`, `hevc_rkmpp`) of the ffmpeg-rockchip build used on
 *   RK3588 boards. Without `-hwaccel rkmpp` ffmpeg negotiates NV12 in system memory instead of
 *   DRM PRIME buffers, so the filter graph needs nothing extra.
 * - vaapi, cuda: generic hwaccels of the decoder ffmpeg already chose, so the codec does not
 *   matter. Frames stay in GPU memory through the `fps` filter and only the sampled ones are
 *   downloaded (`hwdownload,format=nv12`): at 5 of 25 fps that is a fifth of the copies. A 10-bit
 *   stream cannot download as NV12 and so falls back to software decoding.
 */

export type HardwarePreset = Exclude<HwDecodePreset, 'none' | 'auto'>;

/** What one preset adds to a command line. */
export interface HwDecodePlan {
  readonly preset: HardwarePreset;
  /** goes before `-i` */
  readonly inputArgs: readonly string[];
  /** filters between `fps` and `scale` that bring frames into system memory */
  readonly downloadFilters: readonly string[];
  /** for logs and metrics, e.g. `h264_v4l2m2m` or `vaapi hwaccel` */
  readonly decoder: string;
}

export const DEFAULT_VAAPI_DEVICE = '/dev/dri/renderD128';

/** Device nodes whose presence tells `auto` that a preset's hardware is there. */
export const HW_DEVICE_NODES: Readonly<Record<HardwarePreset, readonly string[]>> = {
  jetson: ['/dev/nvhost-nvdec', '/dev/v4l2-nvdec'],
  rockchip: ['/dev/mpp_service'],
  rpi: ['/dev/video10'],
  vaapi: [DEFAULT_VAAPI_DEVICE],
  cuda: ['/dev/nvidiactl'],
};

/**
 * Order `auto` tries: board-specific engines first, because a Pi or an RK3588 also has a render
 * node (/dev/dri/renderD128) without any VA-API driver behind it.
 */
export const AUTO_ORDER: readonly HardwarePreset[] = ['jetson', 'rockchip', 'rpi', 'vaapi', 'cuda'];

export function hwDecodePlan(preset: HardwarePreset, codec: VideoCodec): HwDecodePlan {
  const decoder = (suffix: string): HwDecodePlan => {
    const name = `${codec}_${suffix}`;
    return { preset, inputArgs: ['-c:v', name], downloadFilters: [], decoder: name };
  };
  switch (preset) {
    case 'rpi':
      return decoder('v4l2m2m');
    case 'jetson':
      return decoder('nvv4l2dec');
    case 'rockchip':
      return decoder('rkmpp');
    case 'vaapi':
      return {
        preset,
        inputArgs: ['-hwaccel', 'vaapi', '-hwaccel_device', DEFAULT_VAAPI_DEVICE, '-hwaccel_output_format', 'vaapi'],
        downloadFilters: ['hwdownload', 'format=nv12'],
        decoder: 'vaapi hwaccel',
      };
    case 'cuda':
      return {
        preset,
        inputArgs: ['-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda'],
        downloadFilters: ['hwdownload', 'format=nv12'],
        decoder: 'cuda hwaccel',
      };
  }
}

/** What the ffmpeg binary and the box offer; see probeHwDecode.ts. */
export interface HwDecodeCapabilities {
  /** `ffmpeg -hwaccels` */
  readonly hwaccels: readonly string[];
  /** names from `ffmpeg -decoders` */
  readonly decoders: readonly string[];
  /** the HW_DEVICE_NODES that exist */
  readonly devices: readonly string[];
}

export const NO_HW_CAPABILITIES: HwDecodeCapabilities = { hwaccels: [], decoders: [], devices: [] };

function supports(preset: HardwarePreset, codec: VideoCodec, caps: HwDecodeCapabilities): boolean {
  if (!HW_DEVICE_NODES[preset].some((node) => caps.devices.includes(node))) return false;
  const plan = hwDecodePlan(preset, codec);
  return preset === 'vaapi' || preset === 'cuda' ? caps.hwaccels.includes(preset) : caps.decoders.includes(plan.decoder);
}

/** The first preset whose decoder ffmpeg has and whose device node exists; none if no preset qualifies. */
export function resolveAutoPreset(codec: VideoCodec, caps: HwDecodeCapabilities): HardwarePreset | 'none' {
  return AUTO_ORDER.find((preset) => supports(preset, codec, caps)) ?? 'none';
}

/** `ffmpeg -hwaccels`: a title line, then one method per line. */
export function parseHwaccels(stdout: string): string[] {
  return stdout
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => /^[a-z0-9_]+$/.test(line));
}

/** `ffmpeg -decoders`: " V....D h264_v4l2m2m   description" rows after a legend. */
export function parseDecoders(stdout: string): string[] {
  const names: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^\s[VAS][F.][S.][X.][B.][D.]\s+(\S+)/.exec(line);
    if (match?.[1] && match[1] !== '=') names.push(match[1]);
  }
  return names;
}

/**
 * What ffmpeg says when a hardware path cannot start: a decoder or hwaccel this build lacks, a
 * device it cannot open, a driver it cannot load, or frames the download filter cannot take.
 */
const HW_FAILURE =
  /Unknown decoder|Unrecognized hwaccel|Device creation failed|Device setup failed|No device available for decoder|Could not find a valid device|can't configure decoder|Error while opening decoder|hwaccel initiali[sz]ation returned error|Failed setup for format|Cannot load lib(cuda|nvcuvid)|Could not dynamically load CUDA|No VA display found|Failed to initialise VAAPI|vaInitialize failed|Impossible to convert between the formats|for hwframe download|Failed to (create|init) MPP/i;

/** The newest stderr line that blames the hardware path, if any. */
export function findHwFailure(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i] ?? '';
    if (HW_FAILURE.test(line)) return line.trim();
  }
  return undefined;
}
