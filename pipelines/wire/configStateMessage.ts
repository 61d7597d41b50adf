import { z } from 'zod';
import { id } from '../config/common.js';
import { keyIdSchema } from './configEnvelope.js';

/**
 * The retained report on `{prefix}/{site}/config/state` after each push handled, exactly as
 * `agent/fleet/ConfigApplier.ts` publishes it (`agent/fleet/configState.ts` takes its type from
 * here, so the two cannot drift). It names configs by version and sha256, never by content, so no
 * secret can leak through it.
 */

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits');
const version = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const ids = (what: string): z.ZodArray<z.ZodString> => z.array(z.string()).describe(`Camera ids ${what}.`);

export const CONFIG_STATUSES = ['applied', 'rejected', 'rolled_back'] as const;
export type ConfigStatus = (typeof CONFIG_STATUSES)[number];

/** `local_file`: the `--config` file, re-read on SIGHUP */
export const PUSH_ORIGINS = ['mqtt', 'drop_folder', 'local_file'] as const;
export type PushOrigin = (typeof PUSH_ORIGINS)[number];

export const configStateMessageSchema = z
  .strictObject({
    siteId: id.describe('the reporting site'),
    status: z
      .enum(CONFIG_STATUSES)
      .describe('what became of the push: applied (kept), rejected (never applied), rolled_back (applied, failed, the previous config runs again)'),
    version: version.nullable().describe("the pushed config's version; null when the push never got as far as a valid config"),
    sha256: sha256.nullable().describe('sha256 of the pushed config bytes (the envelope payload); null when the signature did not hold'),
    keyId: keyIdSchema.nullable().describe('the key that signed the push; null for a local file or an unsigned push'),
    origin: z.enum(PUSH_ORIGINS).describe('where the config came from: mqtt (config/push), drop_folder, local_file (the --config file on SIGHUP)'),
    reason: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/, 'expected a reason code')
      .optional()
      .describe(
        'rejected / rolled_back: the reason code, e.g. bad_signature, unknown_key, config_invalid, wrong_site, stale_version, expired, superseded, state_unwritable, apply_failed, probation_failed, interrupted (the agent stopped mid-apply or mid-probation, reported at its next start)',
      ),
    error: z.string().optional().describe('human-readable detail, credentials redacted'),
    running: z
      .strictObject({ version: version.describe('Version of the config running.'), sha256: sha256.describe('sha256 of its exact bytes.') })
      .describe('the config in effect once this push was handled (version and sha256 of its exact bytes)'),
    changes: z
      .strictObject({ added: ids('added'), removed: ids('removed'), restarted: ids('restarted'), reconfigured: ids('reconfigured in place (hot)') })
      .optional()
      .describe('applied / rolled_back: camera ids the push added, removed, restarted, or reconfigured in place'),
    needsRestart: z.array(z.string()).optional().describe('applied: site settings that take effect at the next restart of the agent'),
    time: z.iso.datetime({ offset: false }).describe('when the push was handled, ISO 8601 UTC'),
  })
  .describe('What became of the last config push handled by a site.');

export type ConfigStateMessage = z.output<typeof configStateMessageSchema>;
