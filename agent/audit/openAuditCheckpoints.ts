import { checkpointKeyFileFrom } from '../../pipelines/config/auditSchema.js';
import type { SiteConfig } from '../../pipelines/config/siteConfig.js';
import { toError } from '../../pipelines/errors.js';
import type { Clock } from '../clock.js';
import { auditCheckpointTopic } from '../mqtt/topics.js';
import { AuditCheckpoints, type AuditCheckpointsDeps } from './AuditCheckpoints.js';
import type { AuditLog } from './AuditLog.js';
import { loadOrCreateCheckpointKey, type CheckpointKey } from './checkpointKey.js';
import type { Logger } from '../observe/logger.js';

export interface OpenAuditCheckpointsOptions {
  readonly config: SiteConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly audit: Pick<AuditLog, 'last'>;
  readonly link: AuditCheckpointsDeps['link'];
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The agent's checkpoint publisher, with the box key loaded or made where the config says. A key
 * that cannot be read or made leaves the agent running without checkpoints (an error in the log
 * says why, once): the log itself is still written and verifiable, only not anchored.
 */
export function openAuditCheckpoints(options: OpenAuditCheckpointsOptions): AuditCheckpoints | undefined {
  const { config, env, audit, link, clock, logger } = options;
  const log = logger.child({ component: 'audit-checkpoint' });
  const keyFile = checkpointKeyFileFrom(config.audit, env);
  let key: CheckpointKey;
  try {
    key = loadOrCreateCheckpointKey(keyFile, log);
  } catch (error) {
    log.error({ err: toError(error), keyFile }, 'no audit checkpoint key: the audit log is not anchored outside the box until this is fixed');
    return undefined;
  }
  return new AuditCheckpoints({
    head: () => audit.last,
    key,
    siteId: config.site.id,
    topic: auditCheckpointTopic(config.mqtt.prefix, config.site.id),
    link,
    intervalMs: config.audit.checkpointIntervalSeconds * 1000,
    clock,
    logger,
  });
}
