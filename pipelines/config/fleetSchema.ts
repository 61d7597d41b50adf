import { z } from 'zod';

/**
 * Signed config pushes from the centre (README, "Fleet guide"). Without this section the
 * agent takes no pushes and runs the file it was started with.
 */

export const DEFAULT_MAX_PUSH_BYTES = 1024 * 1024;

export const fleetSchema = z
  .strictObject({
    /** JSON `{keys: [{keyId, publicKey, notAfter?}]}`; re-read on every push, so rotation needs no restart */
    trustedKeysFile: z
      .string()
      .min(1)
      .describe('JSON file of the public keys allowed to sign pushes, {keys: [{keyId, publicKey, notAfter?}]}; re-read on every push. Required.'),
    /**
     * last-known-good config and version high-water mark; read from the config the agent starts
     * with, so a pushed value takes effect only when the bootstrap file names it too
     */
    stateDir: z
      .string()
      .min(1)
      .describe(
        'Folder of the last-known-good config and the version high-water mark; read from the --config file only, so a pushed value needs it there too. Required.',
      ),
    /** envelopes (`*.json`) dropped here are handled like pushes, then renamed `*.json.<status>` */
    dropDir: z
      .string()
      .min(1)
      .optional()
      .describe('Folder polled for envelopes (NAME.json) delivered without the broker; each is handled like a push, then renamed NAME.json.<status>.'),
    /** every restarted or added camera must deliver frames this long before the config is kept */
    probationSeconds: z
      .number()
      .positive()
      .max(3600)
      .default(30)
      .describe(
        'Seconds (over 0, up to 3600) every camera a push started or restarted must deliver frames before the config is kept; else it is rolled back. Default 30.',
      ),
    /** larger envelopes are rejected before anything else is looked at */
    maxPushBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(DEFAULT_MAX_PUSH_BYTES)
      .describe(
        'Bytes (1024..67108864): larger envelopes are rejected before anything else is looked at; also sets the MQTT maximum packet size the agent announces on connect. Default 1048576.',
      ),
  })
  .describe('Signed config pushes from the centre. Omitted: the agent takes no pushes and runs the file it was started with.');

export type FleetConfig = z.output<typeof fleetSchema>;
