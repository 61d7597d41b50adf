import type { CameraConfig } from '../../pipelines/config/siteConfig.js';
import type { Logger } from '../observe/logger.js';
import { HardwareDecoding } from './HardwareDecoding.js';
import { probeHwDecodeCapabilities } from './probeHwDecode.js';

/**
 * The camera's hardware preset, `auto` resolved against what this box offers, as the agent does
 * at start; undefined for software decoding. The one-off tools (snapshot, capacity) open a camera
 * with it so that they measure what the agent would run.
 */
export async function hardwareDecodingFor(camera: CameraConfig, ffmpegPath: string, logger: Logger): Promise<HardwareDecoding | undefined> {
  const { hwDecode: preset, codec } = camera.source;
  if (preset === 'none') return undefined;
  const capabilities = preset === 'auto' ? await probeHwDecodeCapabilities({ ffmpegPath, logger }) : undefined;
  return new HardwareDecoding({ cameraId: camera.id, preset, codec, capabilities, logger });
}
