import { estimateCapacity, type CameraCost } from '../../pipelines/capacity/capacityEstimate.js';
import type { Clock, Timer } from '../clock.js';
import type { Logger } from '../observe/logger.js';
import { processCpuSeconds } from './processCpuSeconds.js';

/** One camera's decoder as the monitor samples it. */
export interface DecoderSample {
  readonly cameraId: string;
  /** analyticsFps: the frames a second the config asks the model about */
  readonly fps: number;
  /** the running ffmpeg's pid and the frames the camera delivered so far; undefined while no decoder runs */
  readonly usage: { readonly pid: number; readonly frames: number } | undefined;
}

export interface CapacityMonitorDeps {
  /** the cameras of the config running now */
  readonly decoders: () => readonly DecoderSample[];
  /** frames the model has handled so far, all cameras */
  readonly processedFrames: () => Promise<number>;
  readonly cores: number;
  readonly intervalMs: number;
  readonly clock: Clock;
  readonly gauges: {
    readonly loadRatio: { set(value: number): void };
    readonly limitCameras: { set(value: number): void };
  };
  readonly logger: Logger;
  /** CPU-seconds of a decoder so far; default /proc */
  readonly decoderCpuSeconds?: (pid: number) => number | undefined;
  /** CPU-seconds of the agent process so far, every thread; default process.cpuUsage() */
  readonly agentCpuSeconds?: () => number;
}

interface Mark {
  readonly pid: number;
  readonly frames: number;
  readonly cpu: number;
}

/**
 * The running agent's side of `c5-agent capacity`: every interval it reads each decoder's CPU time
 * from /proc against the frames it delivered (decode CPU per second of video at the camera's
 * analyticsFps) and the agent's own CPU time against the frames the model handled (one frame's
 * all-in cost: inference, preprocessing, tracking, rules, delivery), and exports the same estimate
 * as the planner (pipelines/capacity/capacityEstimate.ts): c5_agent_capacity_load_ratio (the CPU
 * the config asks for / the cores; above 1 the box cannot keep up) and c5_agent_capacity_cameras.
 * A camera whose decoder restarted in the window keeps its previous figure; one never measured is
 * left out until it is.
 */
export class CapacityMonitor {
  private readonly decodeCost = new Map<string, number>();
  private marks = new Map<string, Mark>();
  private agentMark: { cpu: number; frames: number } | undefined;
  private frameCost: number | undefined;
  private timer: Timer | undefined;
  private stopped = false;
  private readonly decoderCpu: (pid: number) => number | undefined;
  private readonly agentCpu: () => number;

  constructor(private readonly deps: CapacityMonitorDeps) {
    this.decoderCpu = deps.decoderCpuSeconds ?? ((pid) => processCpuSeconds(pid));
    this.agentCpu =
      deps.agentCpuSeconds ??
      (() => {
        const usage = process.cpuUsage();
        return (usage.user + usage.system) / 1e6;
      });
  }

  start(): void {
    if (this.timer || this.stopped) return;
    void this.sample();
    this.timer = this.deps.clock.setInterval(() => void this.sample(), this.deps.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One reading; the interval calls it, tests call it directly. */
  async sample(): Promise<void> {
    try {
      const decoders = this.deps.decoders();
      this.sampleDecoders(decoders);
      await this.sampleAgent();
      this.publish(decoders);
    } catch (error) {
      // a figure missing for one interval is no reason to disturb the agent
      this.deps.logger.warn({ err: error }, 'capacity estimate not updated');
    }
  }

  private sampleDecoders(decoders: readonly DecoderSample[]): void {
    const marks = new Map<string, Mark>();
    for (const { cameraId, fps, usage } of decoders) {
      if (!usage) continue;
      const cpu = this.decoderCpu(usage.pid);
      if (cpu === undefined) continue;
      const mark = { pid: usage.pid, frames: usage.frames, cpu };
      marks.set(cameraId, mark);
      const previous = this.marks.get(cameraId);
      // a new pid is a restarted decoder: its CPU time started again from 0
      if (!previous || previous.pid !== mark.pid || mark.frames <= previous.frames || fps <= 0) continue;
      this.decodeCost.set(cameraId, (mark.cpu - previous.cpu) / ((mark.frames - previous.frames) / fps));
    }
    this.marks = marks;
    for (const cameraId of this.decodeCost.keys()) if (!decoders.some((d) => d.cameraId === cameraId)) this.decodeCost.delete(cameraId);
  }

  private async sampleAgent(): Promise<void> {
    const mark = { cpu: this.agentCpu(), frames: await this.deps.processedFrames() };
    const previous = this.agentMark;
    this.agentMark = mark;
    if (previous && mark.frames > previous.frames) this.frameCost = (mark.cpu - previous.cpu) / (mark.frames - previous.frames);
  }

  private publish(decoders: readonly DecoderSample[]): void {
    if (decoders.length === 0) {
      // no camera runs: the config asks for nothing
      this.deps.gauges.loadRatio.set(0);
      this.deps.gauges.limitCameras.set(0);
      return;
    }
    const frameCost = this.frameCost;
    if (frameCost === undefined) return;
    const cameras: CameraCost[] = decoders.flatMap(({ cameraId, fps }) => {
      const decode = this.decodeCost.get(cameraId);
      return decode === undefined ? [] : [{ id: cameraId, fps, decodeCpuPerSecond: decode, inferenceCpuSeconds: frameCost }];
    });
    if (cameras.length === 0) return;
    const estimate = estimateCapacity({ cores: this.deps.cores, cameras });
    this.deps.gauges.loadRatio.set(estimate.loadRatio);
    this.deps.gauges.limitCameras.set(estimate.limitCameras);
  }
}
