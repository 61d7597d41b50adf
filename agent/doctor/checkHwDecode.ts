import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HwDecodePreset, VideoCodec } from '../../pipelines/config/sourceSchema.js';
import { letterboxFilter } from '../ingest/ffmpegArgs.js';
import { findHwFailure, HW_DEVICE_NODES, hwDecodePlan, resolveAutoPreset, type HardwarePreset, type HwDecodeCapabilities } from '../ingest/hwDecode.js';
import { probeHwDecodeCapabilities } from '../ingest/probeHwDecode.js';
import { fail, pass, warn, type CheckOutcome, type DoctorCheck } from './DoctorCheck.js';
import { ffmpegPathOf, type DoctorContext } from './DoctorContext.js';
import { runTool, type ToolRun } from './runTool.js';

export interface HwDecodeCheckOptions {
  /** what `auto` chooses from and what the presets need; default: probed as the agent does at start-up */
  readonly capabilities?: () => Promise<HwDecodeCapabilities>;
}

/** A small test clip is decoded at this size: every preset downloads and scales it as it would a camera's. */
const CLIP_WIDTH = 320;
const CLIP_HEIGHT = 240;
const ENCODERS: Record<VideoCodec, string> = { h264: 'libx264', hevc: 'libx265' };

/**
 * One row per hardware-decoding preset and codec the enabled cameras ask for: the preset must
 * really decode (a test clip of that codec, through the same input arguments and download
 * filters the agent uses). Software decoding (`none`) is one passing row.
 */
export function hwDecodeChecks(context: DoctorContext, options: HwDecodeCheckOptions = {}): DoctorCheck[] {
  const wanted = new Map<string, { preset: Exclude<HwDecodePreset, 'none'>; codec: VideoCodec; cameras: string[] }>();
  for (const camera of context.config.cameras) {
    const { hwDecode, codec } = camera.source;
    if (!camera.enabled || hwDecode === 'none') continue;
    const key = `${hwDecode}:${codec}`;
    const entry = wanted.get(key) ?? { preset: hwDecode, codec, cameras: [] };
    entry.cameras.push(camera.id);
    wanted.set(key, entry);
  }
  if (wanted.size === 0) {
    return [
      {
        id: 'hwdecode',
        title: 'hardware decoding',
        family: 'hwdecode',
        timeoutMs: context.timeoutMs,
        run: () => Promise.resolve(pass('not asked for: every camera decodes in software (hwDecode: none)')),
      },
    ];
  }
  let probed: Promise<HwDecodeCapabilities> | undefined;
  const capabilities = (ffmpegPath: string): Promise<HwDecodeCapabilities> =>
    (probed ??= options.capabilities?.() ?? probeHwDecodeCapabilities({ ffmpegPath, logger: context.logger, timeoutMs: context.timeoutMs }));
  return [...wanted.values()].map(({ preset, codec, cameras }) => ({
    id: `hwdecode:${preset}:${codec}`,
    title: `hw decoding ${preset} (${codec})`,
    family: 'hwdecode',
    timeoutMs: context.cameraTimeoutMs,
    run: async (signal) => {
      const ffmpegPath = ffmpegPathOf(context);
      if (ffmpegPath === undefined) return fail('ffmpeg not found (see the ffmpeg row)');
      const caps = await capabilities(ffmpegPath);
      const usedBy = `camera${cameras.length === 1 ? '' : 's'} ${cameras.join(', ')}`;
      if (preset === 'auto') {
        const chosen = resolveAutoPreset(codec, caps);
        if (chosen === 'none') {
          return warn(`auto found no hardware decoder for ${codec} on this box: ${usedBy} will decode in software`, capabilityDetails(caps));
        }
        return await tryPreset(chosen, codec, ffmpegPath, caps, signal, context.env, `auto chose ${chosen}; `);
      }
      return await tryPreset(preset, codec, ffmpegPath, caps, signal, context.env, '');
    },
  }));
}

function capabilityDetails(caps: HwDecodeCapabilities): string[] {
  const hardwareDecoders = caps.decoders.filter((name) => /_(v4l2m2m|nvv4l2dec|rkmpp|cuvid)$/.test(name));
  return [
    `hwaccels: ${caps.hwaccels.join(', ') || '(none)'}`,
    `hardware decoders: ${hardwareDecoders.join(', ') || '(none)'}`,
    `device nodes present: ${caps.devices.join(', ') || '(none)'}`,
  ];
}

async function tryPreset(
  preset: HardwarePreset,
  codec: VideoCodec,
  ffmpegPath: string,
  caps: HwDecodeCapabilities,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv,
  prefix: string,
): Promise<CheckOutcome> {
  const plan = hwDecodePlan(preset, codec);
  const details = capabilityDetails(caps);
  const nodes = HW_DEVICE_NODES[preset];
  if (!nodes.some((node) => caps.devices.includes(node))) {
    return fail(
      `${prefix}${preset}: no ${nodes.join(' or ')} on this box (not this board, or its driver is not loaded); the agent would fall back to software`,
      details,
    );
  }
  const hwaccel = preset === 'vaapi' || preset === 'cuda';
  if (hwaccel ? !caps.hwaccels.includes(preset) : !caps.decoders.includes(plan.decoder)) {
    return fail(
      `${prefix}${preset}: this ffmpeg has no ${hwaccel ? `${preset} hwaccel` : `${plan.decoder} decoder`}; the agent would fall back to software`,
      details,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'c5-doctor-hw-'));
  try {
    const clip = join(dir, `test.${codec}.mp4`);
    const made = await runTool(ffmpegPath, makeClipArgs(codec, clip), { signal, env });
    if (made.exitCode !== 0) {
      return warn(`${prefix}${preset}: not tried: this ffmpeg cannot make a ${codec} test clip (${ENCODERS[codec]}): ${lastLine(made)}`, details);
    }
    const frameBytes = CLIP_WIDTH * CLIP_HEIGHT * 3;
    const decoded = await runTool(ffmpegPath, decodeArgs(plan.inputArgs, plan.downloadFilters, clip), { signal, env, maxStdoutBytes: 0 });
    const frames = Math.floor(decoded.stdoutBytes / frameBytes);
    if (decoded.exitCode === 0 && frames > 0) return pass(`${prefix}${plan.decoder} decoded a ${codec} test clip (${frames} frames)`, details);
    const blamed = findHwFailure(decoded.stderr.split(/\r?\n/)) ?? lastLine(decoded);
    return fail(`${prefix}${plan.decoder} failed to decode a ${codec} test clip: ${blamed}; the agent would fall back to software`, details);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function makeClipArgs(codec: VideoCodec, out: string): string[] {
  return [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${CLIP_WIDTH}x${CLIP_HEIGHT}:rate=10`],
    ...['-frames:v', '10', '-c:v', ENCODERS[codec], '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-y', out],
  ];
}

/** The agent's own decode: input arguments of the plan, its letterbox filter with the download step, BGR24 out. */
function decodeArgs(inputArgs: readonly string[], downloadFilters: readonly string[], clip: string): string[] {
  return [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error', ...inputArgs, '-i', clip, '-an'],
    ...['-vf', letterboxFilter(5, CLIP_WIDTH, CLIP_HEIGHT, downloadFilters), '-f', 'rawvideo', '-pix_fmt', 'bgr24', 'pipe:1'],
  ];
}

function lastLine(run: ToolRun): string {
  if (run.spawnError !== undefined) return `cannot start ffmpeg (${run.spawnError})`;
  const lines = run.stderr.split(/\r?\n/).filter((line) => line.trim() !== '');
  return (lines[lines.length - 1] ?? `exited with code ${String(run.exitCode ?? run.signal)}`).trim().slice(0, 200);
}
