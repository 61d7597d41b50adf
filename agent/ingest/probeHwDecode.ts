import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { toError } from '../../pipelines/errors.js';
import type { Logger } from '../observe/logger.js';
import { HW_DEVICE_NODES, parseDecoders, parseHwaccels, type HwDecodeCapabilities } from './hwDecode.js';

export interface ProbeHwDecodeDeps {
  readonly ffmpegPath: string;
  readonly logger: Logger;
  /** bound on each ffmpeg listing; default 5 s */
  readonly timeoutMs?: number;
  /** tests replace these to simulate a board */
  readonly exists?: (path: string) => boolean;
  readonly listing?: (ffmpegPath: string, flag: '-hwaccels' | '-decoders', timeoutMs: number) => Promise<string>;
}

function ffmpegListing(ffmpegPath: string, flag: '-hwaccels' | '-decoders', timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(ffmpegPath, ['-hide_banner', flag], { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout);
    });
  });
}

/**
 * What `source.hwDecode: auto` can choose from on this box: the hwaccels and decoders the ffmpeg
 * binary was built with, and which of the presets' device nodes exist. Run once at start-up; a
 * probe that fails leaves that part empty, so `auto` decodes in software rather than guessing.
 */
export async function probeHwDecodeCapabilities(deps: ProbeHwDecodeDeps): Promise<HwDecodeCapabilities> {
  const timeoutMs = deps.timeoutMs ?? 5_000;
  const listing = deps.listing ?? ffmpegListing;
  const exists = deps.exists ?? existsSync;
  const list = async (flag: '-hwaccels' | '-decoders', parse: (text: string) => string[]): Promise<string[]> => {
    try {
      return parse(await listing(deps.ffmpegPath, flag, timeoutMs));
    } catch (error) {
      deps.logger.warn({ err: toError(error), flag }, 'cannot list ffmpeg capabilities; hwDecode auto will decode in software');
      return [];
    }
  };
  const [hwaccels, decoders] = await Promise.all([list('-hwaccels', parseHwaccels), list('-decoders', parseDecoders)]);
  const devices = [...new Set(Object.values(HW_DEVICE_NODES).flat())].filter((node) => exists(node));
  const hardwareDecoders = decoders.filter((name) => /_(v4l2m2m|nvv4l2dec|rkmpp|cuvid)$/.test(name));
  deps.logger.info({ hwaccels, hardwareDecoders, devices }, 'hardware decoding capabilities');
  return { hwaccels, decoders, devices };
}
