import type { CameraConfig } from '../config/siteConfig.js';
import type { ByteTrackerOptions } from './ByteTracker.js';

/** Seconds a track may go unmatched when the config does not say how many frames. */
export const DEFAULT_TRACK_SURVIVAL_SECONDS = 2;

/** The camera's tracker settings, with `maxMisses` defaulting to two seconds of frames. */
export function trackerOptionsFor(camera: Pick<CameraConfig, 'tracker' | 'analyticsFps'>): ByteTrackerOptions {
  const { maxMisses, ...rest } = camera.tracker;
  return {
    ...rest,
    maxMisses: maxMisses ?? Math.max(2, Math.round(camera.analyticsFps * DEFAULT_TRACK_SURVIVAL_SECONDS)),
  };
}
