import type { SiteConfigDiff } from '../../pipelines/config/diffSiteConfig.js';
import type { ConfigStateMessage } from '../../pipelines/wire/configStateMessage.js';

/**
 * The retained report on `{prefix}/{site}/config/state` after each push handled. Its shape is the
 * wire schema's (`pipelines/wire/configStateMessage.ts`, the AsyncAPI contract's payload), taken
 * from there so the report the agent builds and the one the centre validates cannot drift.
 */

export type { ConfigStatus, PushOrigin } from '../../pipelines/wire/configStateMessage.js';

type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export type ConfigState = DeepReadonly<ConfigStateMessage>;

export function changesOf(diff: SiteConfigDiff): NonNullable<ConfigState['changes']> {
  return {
    added: diff.added,
    removed: diff.removed,
    restarted: diff.restarted.map((change) => change.id),
    reconfigured: diff.reconfigured.map((change) => change.id),
  };
}
