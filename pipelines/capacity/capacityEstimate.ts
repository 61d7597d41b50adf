/**
 * How many cameras a box holds, from what each costs on it (README, "Capacity"): a camera costs
 * its decoder's CPU per second of video plus, for each frame it asks the model about, one
 * inference's CPU. The box's limit is its cores: `cores / (decode + fps x inference)` cameras
 * like one camera, and the config's demand is the sum over its cameras. Pure: the measuring is
 * the agent's (agent/capacity/).
 */

export interface CameraCost {
  readonly id: string;
  /** frames a second the config asks the model about (analyticsFps) */
  readonly fps: number;
  /** CPU-seconds the decoder spends per second of video, with the agent's own ffmpeg arguments */
  readonly decodeCpuPerSecond: number;
  /** CPU-seconds one inference of the camera's model costs (preprocessing and post-processing included) */
  readonly inferenceCpuSeconds: number;
}

export interface CapacityInputs {
  /** CPU cores the box gives the agent and its decoders */
  readonly cores: number;
  readonly cameras: readonly CameraCost[];
}

export interface CameraDemand extends CameraCost {
  /** cores this camera keeps busy: decode + fps x inference */
  readonly cores: number;
  /** cameras like this one the box holds on its own */
  readonly limit: number;
}

export interface CapacityEstimate {
  readonly cameras: readonly CameraDemand[];
  /** cores the config asks for */
  readonly demandCores: number;
  /** demand / cores: above 1 the box cannot keep up and frames are dropped */
  readonly loadRatio: number;
  /** cameras like the config's average one the box holds (0 for a config with no camera) */
  readonly limitCameras: number;
  /** the config asks for more than the box has */
  readonly overCapacity: boolean;
}

export function estimateCapacity(inputs: CapacityInputs): CapacityEstimate {
  const { cores } = inputs;
  if (!(cores > 0)) throw new RangeError(`cores must be above 0, got ${cores}`);
  const cameras = inputs.cameras.map((camera): CameraDemand => {
    const demand = cameraCores(camera);
    return { ...camera, cores: demand, limit: limitFor(cores, demand) };
  });
  const demandCores = cameras.reduce((sum, camera) => sum + camera.cores, 0);
  const mean = cameras.length === 0 ? 0 : demandCores / cameras.length;
  const loadRatio = demandCores / cores;
  return { cameras, demandCores, loadRatio, limitCameras: cameras.length === 0 ? 0 : limitFor(cores, mean), overCapacity: loadRatio > 1 };
}

/** Cameras at `fps` whose decoders cost `decodeCpuPerSecond` the box holds: the planner's table. */
export function camerasAt(cores: number, fps: number, decodeCpuPerSecond: number, inferenceCpuSeconds: number): number {
  return limitFor(cores, cameraCores({ fps, decodeCpuPerSecond, inferenceCpuSeconds }));
}

function cameraCores(camera: Omit<CameraCost, 'id'>): number {
  const { fps, decodeCpuPerSecond, inferenceCpuSeconds } = camera;
  if (!(fps >= 0) || !(decodeCpuPerSecond >= 0) || !(inferenceCpuSeconds >= 0)) {
    throw new RangeError(`fps, decodeCpuPerSecond and inferenceCpuSeconds must be 0 or more, got ${fps}, ${decodeCpuPerSecond}, ${inferenceCpuSeconds}`);
  }
  return decodeCpuPerSecond + fps * inferenceCpuSeconds;
}

/** Whole cameras; a camera that costs nothing is unbounded, reported as the largest safe integer. */
function limitFor(cores: number, perCamera: number): number {
  // 1e-9: 2 / (0.1 + 5 x 0.02) is 10 on paper but 9.999... in floating point
  return perCamera > 0 ? Math.floor(cores / perCamera + 1e-9) : Number.MAX_SAFE_INTEGER;
}
