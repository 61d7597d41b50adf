import type { Alert } from '../../pipelines/alerts.js';
import type { ModelInfo } from '../../pipelines/stages.js';
import type { Decision, Frame, Track } from '../../pipelines/types.js';
import type { LoadedSiteConfig } from '../config/loadSiteConfig.js';
import type { AuditEntry, AuditRef } from './auditRecord.js';
import { alertEntry, configAppliedEntry, modelLoadedEntry, suppressionEntry } from './auditEntries.js';

/**
 * Where a camera pipeline reports each decision the policy returns: the audit log in the agent,
 * the decisions file in a replay.
 */
export interface DecisionRecorder {
  /** before the alert is published; its audit reference, or undefined when none was recorded */
  alert(entry: { readonly decision: Decision; readonly alert: Alert; readonly frame: Frame }): AuditRef | undefined;
  suppression(entry: { readonly decision: Decision; readonly cameraId: string; readonly frame: Frame }): void;
  /** the tracker's live tracks after each processed frame; only replay's `--tracks` file takes them */
  tracks?(entry: { readonly frame: Frame; readonly tracks: readonly Track[] }): void;
}

/** What the supervisor records besides decisions. */
export interface AgentRecorder extends DecisionRecorder {
  modelLoaded(model: ModelInfo): void;
  configApplied(loaded: LoadedSiteConfig, trigger: string): void;
}

export interface AuditAppender {
  append(entry: AuditEntry): AuditRef | undefined;
}

/** Every decision, model load and config change as an audit record. */
export class AuditRecorder implements AgentRecorder {
  private readonly audit: AuditAppender;

  constructor(audit: AuditAppender) {
    this.audit = audit;
  }

  alert(entry: { decision: Decision; alert: Alert; frame: Frame }): AuditRef | undefined {
    return this.audit.append(alertEntry(entry));
  }

  suppression(entry: { decision: Decision; cameraId: string; frame: Frame }): void {
    this.audit.append(suppressionEntry(entry));
  }

  modelLoaded(model: ModelInfo): void {
    this.audit.append(modelLoadedEntry(model));
  }

  configApplied(loaded: LoadedSiteConfig, trigger: string): void {
    this.audit.append(configAppliedEntry(loaded, trigger));
  }
}
