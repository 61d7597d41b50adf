import type { Alert } from '../../pipelines/alerts.js';
import type { ModelInfo } from '../../pipelines/stages.js';
import type { Decision, Frame } from '../../pipelines/types.js';
import type { LoadedSiteConfig } from '../config/loadSiteConfig.js';
import type { AuditEntry } from './auditRecord.js';

/**
 * The audit record types the agent writes. Decisions are copied whole, so fields the policy
 * adds later are recorded without a change here. Nothing here may carry a secret: configs are
 * named by version and sha256, never by content.
 */

function configRef(loaded: LoadedSiteConfig): { version: number; sha256: string; source: string } {
  return { version: loaded.config.version, sha256: loaded.sha256, source: loaded.source };
}

export function agentStartedEntry(options: { version: string; loaded: LoadedSiteConfig; pid: number }): AuditEntry {
  return { type: 'agent_started', version: options.version, site: options.loaded.config.site.id, config: configRef(options.loaded), pid: options.pid };
}

export function agentStoppedEntry(): AuditEntry {
  return { type: 'agent_stopped' };
}

/** `trigger`: `startup`, or how a new config arrived (`push`, ...). */
export function configAppliedEntry(loaded: LoadedSiteConfig, trigger: string): AuditEntry {
  return { type: 'config_applied', trigger, site: loaded.config.site.id, config: configRef(loaded) };
}

export function modelLoadedEntry(model: ModelInfo): AuditEntry {
  return { type: 'model_loaded', model: { name: model.name, family: model.family, sha256: model.sha256 } };
}

/** The alert exactly as it is published (less `audit`, which points at this record). */
export function alertEntry(entry: { decision: Decision; alert: Alert; frame: Frame }): AuditEntry {
  const { audit: _self, ...alert } = entry.alert;
  return { type: 'alert', camera: alert.cameraId, frameSeq: entry.frame.seq, decision: { ...entry.decision }, alert };
}

export function suppressionEntry(entry: { decision: Decision; cameraId: string; frame: Frame }): AuditEntry {
  return {
    type: 'suppression',
    camera: entry.cameraId,
    frameSeq: entry.frame.seq,
    frameTime: new Date(entry.frame.captureTime).toISOString(),
    decision: { ...entry.decision },
  };
}
