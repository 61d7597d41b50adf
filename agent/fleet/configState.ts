import type { SiteConfigDiff } from '../../pipelines/config/diffSiteConfig.js';

/**
 * The retained report on `{prefix}/{site}/config/state` after each push handled. It names the
 * push (version, sha256 of the exact config bytes, key) and the config running afterwards, never
 * the config's content, so no secret can leak through it.
 */

export type ConfigStatus = 'applied' | 'rejected' | 'rolled_back';
/** `local_file`: the `--config` file, re-read on SIGHUP */
export type PushOrigin = 'mqtt' | 'drop_folder' | 'local_file';

export interface ConfigState {
  readonly siteId: string;
  readonly status: ConfigStatus;
  /** the pushed config's version; null when the push never got as far as a valid config */
  readonly version: number | null;
  /** sha256 of the pushed config bytes; null when the signature did not hold */
  readonly sha256: string | null;
  readonly keyId: string | null;
  readonly origin: PushOrigin;
  /**
   * rejected / rolled_back: the reason code (`bad_signature`, `stale_version`, `probation_failed`,
   * `interrupted`: the agent stopped or crashed mid-apply or mid-probation, reported at its next start, ...)
   */
  readonly reason?: string;
  /** human-readable detail, credentials redacted */
  readonly error?: string;
  /** the config in effect once this push was handled */
  readonly running: { readonly version: number; readonly sha256: string };
  /** applied / rolled_back: what the push changed (or tried to) */
  readonly changes?: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
    readonly restarted: readonly string[];
    readonly reconfigured: readonly string[];
  };
  /** applied: settings that take effect at the next restart of the agent */
  readonly needsRestart?: readonly string[];
  /** ISO 8601 UTC */
  readonly time: string;
}

export function changesOf(diff: SiteConfigDiff): NonNullable<ConfigState['changes']> {
  return {
    added: diff.added,
    removed: diff.removed,
    restarted: diff.restarted.map((change) => change.id),
    reconfigured: diff.reconfigured.map((change) => change.id),
  };
}
