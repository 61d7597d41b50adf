import { auditDirFrom } from '../../pipelines/config/auditSchema.js';
import type { Clock } from '../clock.js';
import type { LoadedSiteConfig } from '../config/loadSiteConfig.js';
import { agentStartedEntry, configAppliedEntry } from './auditEntries.js';
import { AuditLog, type AuditMetrics } from './AuditLog.js';
import type { Readiness } from '../observe/HttpServer.js';
import type { Logger } from '../observe/logger.js';
import type { SecretScrubber } from '../observe/SecretScrubber.js';

export interface OpenAgentAuditLogOptions {
  readonly loaded: LoadedSiteConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: AuditMetrics;
  readonly version: string;
  readonly scrubber?: SecretScrubber;
}

/** The agent's audit log, opened where the config (or `C5_AUDIT_DIR`) says, with the start-up records written. */
export function openAgentAuditLog(options: OpenAgentAuditLogOptions): AuditLog {
  const { loaded, env, clock, logger, metrics, version, scrubber } = options;
  const settings = loaded.config.audit;
  const audit = AuditLog.open({
    dir: auditDirFrom(settings, env),
    fsyncIntervalMs: settings.fsyncIntervalMs,
    clock,
    logger: logger.child({ component: 'audit' }),
    metrics,
    ...(scrubber ? { scrubber } : {}),
  });
  audit.append(agentStartedEntry({ version, loaded, pid: process.pid }));
  audit.append(configAppliedEntry(loaded, 'startup'));
  return audit;
}

/** A log that cannot write makes the agent not ready (`audit_log_degraded`); it keeps running and counts what it loses. */
export function withAuditHealth(readiness: Readiness, audit: AuditLog): Readiness {
  if (audit.health.state !== 'degraded') return readiness;
  return { ready: false, reasons: [...readiness.reasons, 'audit_log_degraded'] };
}
