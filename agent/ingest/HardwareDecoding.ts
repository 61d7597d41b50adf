import type { HwDecodePreset, VideoCodec } from '../../pipelines/config/sourceSchema.js';
import type { AgentMetrics } from '../observe/metrics.js';
import type { Logger } from '../observe/logger.js';
import type { Failure } from './ffmpegStderr.js';
import { findHwFailure, hwDecodePlan, NO_HW_CAPABILITIES, resolveAutoPreset, type HwDecodeCapabilities, type HwDecodePlan } from './hwDecode.js';

export interface HardwareDecodingDeps {
  readonly cameraId: string;
  readonly preset: HwDecodePreset;
  readonly codec: VideoCodec;
  /** what `auto` chooses from; without it `auto` means software */
  readonly capabilities?: HwDecodeCapabilities | undefined;
  /** the camera's ingest logger */
  readonly logger: Logger;
  readonly metrics?: Pick<AgentMetrics, 'hwDecodeFallbacksTotal'> | undefined;
}

/** How a run that used the hardware path ended, before it delivered a frame. */
export interface FailedStart {
  /** recent stderr lines, redacted */
  readonly lines: readonly string[];
  /** ffmpeg described the input: the source answered, so the decoder is what failed */
  readonly sawStreamInfo: boolean;
  readonly failure: Failure;
}

/**
 * One camera's choice between hardware and software decoding. It starts on the configured preset
 * (`auto` resolved once against the box's capabilities) and switches to software for good, that
 * is until the agent restarts or the camera's config changes (both build a new instance), the
 * first time the hardware path fails before delivering a frame.
 */
export class HardwareDecoding {
  private readonly deps: HardwareDecodingDeps;
  private active: HwDecodePlan | undefined;
  private fellBackFrom: HwDecodePlan | undefined;
  private codecHintGiven = false;

  constructor(deps: HardwareDecodingDeps) {
    this.deps = deps;
    const preset = deps.preset === 'auto' ? resolveAutoPreset(deps.codec, deps.capabilities ?? NO_HW_CAPABILITIES) : deps.preset;
    this.active = preset === 'none' ? undefined : hwDecodePlan(preset, deps.codec);
    if (deps.preset !== 'none') {
      deps.logger.info({ hwDecode: deps.preset, preset, decoder: this.active?.decoder ?? 'software' }, 'hardware decoding preset');
    }
  }

  /** The plan for the next ffmpeg run; undefined decodes in software. */
  get plan(): HwDecodePlan | undefined {
    return this.active;
  }

  /**
   * Called when a run that used `plan` ended before its first frame. Returns the failure to report
   * instead when the hardware path is to blame, after switching this camera to software; returns
   * undefined when the cause lies elsewhere (a camera that does not answer is not fixed by
   * decoding in software).
   */
  onFailedStart(plan: HwDecodePlan, start: FailedStart): Failure | undefined {
    if (plan !== this.active) return undefined;
    const blamed = findHwFailure(start.lines);
    if (!blamed && !start.sawStreamInfo) return undefined;
    this.active = undefined;
    this.fellBackFrom = plan;
    const evidence = blamed ?? `${start.failure.reason}: ${start.failure.detail}`;
    this.deps.logger.warn(
      { preset: plan.preset, decoder: plan.decoder, evidence },
      'hardware decoding failed to start; this camera decodes in software until the agent restarts or its config changes',
    );
    this.deps.metrics?.hwDecodeFallbacksTotal.inc({ camera: this.deps.cameraId, preset: plan.preset });
    return { reason: 'hw_decode_failed', detail: `${plan.preset} (${plan.decoder}) failed to start, falling back to software decoding: ${evidence}` };
  }

  /**
   * The codec a software run found. A decoder-based preset that failed because `source.codec`
   * named the wrong codec gets a hint the operator can act on.
   */
  noteInputCodec(codec: string | undefined): void {
    const from = this.fellBackFrom;
    if (!from || !codec || this.codecHintGiven || from.inputArgs[0] !== '-c:v' || codec === this.deps.codec) return;
    this.codecHintGiven = true;
    this.deps.logger.warn(
      { preset: from.preset, configuredCodec: this.deps.codec, streamCodec: codec },
      `the camera sends ${codec}, not ${this.deps.codec}: set source.codec to ${codec} to decode it in hardware`,
    );
  }
}
