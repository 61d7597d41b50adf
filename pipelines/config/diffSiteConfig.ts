import type { CameraConfig, SiteConfig } from './siteConfig.js';

/**
 * What applying `next` over `previous` takes. Camera settings that only the policy and the
 * privacy masks read are swapped into the running pipeline; any other camera setting (source, fps,
 * model, stall timeout, tracker, and every key added later that is not listed here) restarts the
 * camera, which is always safe.
 */

/** Camera keys a running pipeline can take without restarting its decoder. */
export const HOT_CAMERA_KEYS: ReadonlySet<string> = new Set(['name', 'zones', 'lines', 'privacyMasks', 'schedule', 'rules', 'detection']);

/** Of those, the keys that leave the policy, its masks and its open events as they are. */
const POLICY_NEUTRAL_KEYS: ReadonlySet<string> = new Set(['name', 'detection']);

/** Site keys the agent applies while running; `cameras` is diffed camera by camera. */
const HOT_SITE_KEYS: ReadonlySet<string> = new Set(['version', 'site', 'cameras', 'fleet', 'ffmpegPath']);

/**
 * Fleet keys read once at start-up: the bootstrap file decides where state lives, and the MQTT
 * connection advertises its maximum packet size from maxPushBytes when it opens (the size check
 * itself follows the running config at once).
 */
const STARTUP_FLEET_KEYS = ['stateDir', 'maxPushBytes'] as const;

export interface CameraChange {
  readonly id: string;
  /** top-level camera keys that differ, sorted */
  readonly fields: readonly string[];
}

export interface SiteConfigDiff {
  /** enabled in `next`, absent or disabled in `previous` */
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** decoder settings changed: stop and build again */
  readonly restarted: readonly CameraChange[];
  /** only policy settings changed: swapped in place, no gap in frames */
  readonly reconfigured: readonly CameraChange[];
  readonly unchanged: readonly string[];
  /** models used by `next` and not by `previous` */
  readonly modelsToLoad: readonly string[];
  /** models used by `previous` and no longer by `next` */
  readonly modelsToRelease: readonly string[];
  /** config paths that changed but take effect only when the agent restarts */
  readonly needsRestart: readonly string[];
}

/** True when the change swaps the camera's rules, zones, lines, masks or schedule (a new policy). */
export function changesPolicy(change: CameraChange): boolean {
  return change.fields.some((field) => !POLICY_NEUTRAL_KEYS.has(field));
}

/** Cameras whose decoder must (re)start: the ones a probation window has to see delivering frames. */
export function startedCameras(diff: SiteConfigDiff): string[] {
  return [...diff.added, ...diff.restarted.map((change) => change.id)];
}

export function diffSiteConfig(previous: SiteConfig, next: SiteConfig): SiteConfigDiff {
  const before = enabledCameras(previous);
  const after = enabledCameras(next);
  const ffmpegChanged = !sameValue(previous.ffmpegPath, next.ffmpegPath);

  const added: string[] = [];
  const restarted: CameraChange[] = [];
  const reconfigured: CameraChange[] = [];
  const unchanged: string[] = [];
  for (const [id, camera] of after) {
    const old = before.get(id);
    if (!old) {
      added.push(id);
      continue;
    }
    const fields = changedKeys(old, camera);
    if (ffmpegChanged || fields.some((field) => !HOT_CAMERA_KEYS.has(field))) restarted.push({ id, fields });
    else if (fields.length > 0) reconfigured.push({ id, fields });
    else unchanged.push(id);
  }
  const removed = [...before.keys()].filter((id) => !after.has(id));

  const modelsBefore = new Set([...before.values()].map((camera) => camera.model));
  const modelsAfter = new Set([...after.values()].map((camera) => camera.model));

  const needsRestart = changedKeys(previous, next).filter((key) => !HOT_SITE_KEYS.has(key));
  for (const key of STARTUP_FLEET_KEYS) {
    if (!sameValue(previous.fleet?.[key], next.fleet?.[key])) needsRestart.push(`fleet.${key}`);
  }

  return {
    added,
    removed,
    restarted,
    reconfigured,
    unchanged,
    modelsToLoad: [...modelsAfter].filter((model) => !modelsBefore.has(model)),
    modelsToRelease: [...modelsBefore].filter((model) => !modelsAfter.has(model)),
    needsRestart: needsRestart.sort(),
  };
}

function enabledCameras(config: SiteConfig): Map<string, CameraConfig> {
  return new Map(config.cameras.filter((camera) => camera.enabled).map((camera) => [camera.id, camera]));
}

function changedKeys(a: object, b: object): string[] {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...keys].filter((key) => !sameValue(left[key], right[key])).sort();
}

/** Structural equality of parsed config values (plain JSON data: objects, arrays, primitives). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => sameValue(item, b[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  // A key holding undefined is the same as an absent key: the schema output drops neither consistently.
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...keys].every((key) => sameValue(left[key], right[key]));
}
