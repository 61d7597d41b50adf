import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { defaultAuditDir } from './auditVerifyCommand.js';
import { explainAlert, formatExplanation } from './explainAlert.js';

export interface AuditExplainOptions {
  readonly alertId: string;
  /** the audit log folder; default `C5_AUDIT_DIR`, else the agent's default folder */
  readonly dir?: string;
}

/** `c5-agent audit explain ALERT_ID`: the decision trail behind one alert. */
export function auditExplainCommand(options: AuditExplainOptions, io: CommandIo): number {
  io.out.write(formatExplanation(explainAlert(options.dir ?? defaultAuditDir(io.env), options.alertId)));
  return EXIT.ok;
}
