import { z } from 'zod';

/**
 * Signed config pushes from the centre (README, "Fleet configuration"). Without this section the
 * agent takes no pushes and runs the file it was started with.
 */

export const DEFAULT_MAX_PUSH_BYTES = 1024 * 1024;

export const fleetSchema = z.strictObject({
  /** JSON `{keys: [{keyId, publicKey, notAfter?}]}`; re-read on every push, so rotation needs no restart */
  trustedKeysFile: z.string().min(1),
  /**
   * last-known-good config and version high-water mark; read from the config the agent starts
   * with, so a pushed value takes effect only when the bootstrap file names it too
   */
  stateDir: z.string().min(1),
  /** envelopes (`*.json`) dropped here are handled like pushes, then renamed `*.json.<status>` */
  dropDir: z.string().min(1).optional(),
  /** every restarted or added camera must deliver frames this long before the config is kept */
  probationSeconds: z.number().positive().max(3600).default(30),
  /** larger envelopes are rejected before anything else is looked at */
  maxPushBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_MAX_PUSH_BYTES),
});

export type FleetConfig = z.output<typeof fleetSchema>;
