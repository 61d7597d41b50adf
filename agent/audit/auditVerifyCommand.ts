import { auditDirFrom, auditSchema } from '../../pipelines/config/auditSchema.js';
import { AgentError } from '../../pipelines/errors.js';
import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { readCheckpointsFile } from './readCheckpointsFile.js';
import { verifyAgainstCheckpoints } from './verifyCheckpoints.js';
import { formatVerification, verifyAuditLog } from './verifyAuditLog.js';

export interface AuditVerifyOptions {
  /** the audit log folder; default `C5_AUDIT_DIR`, else the agent's default folder */
  readonly dir?: string;
  /** the signed checkpoints the centre kept (JSON Lines or an array) */
  readonly checkpoints?: string;
  /** the box's base64 public key, to check the checkpoints' signatures */
  readonly publicKey?: string;
}

/** The audit folder the agent writes when the config names none. */
export function defaultAuditDir(env: CommandIo['env']): string {
  return auditDirFrom(auditSchema.parse({}), env);
}

/**
 * `c5-agent audit verify`: exit 0 when the chain holds and agrees with every checkpoint, 3
 * (integrity broken) at the first broken or rewritten record; a folder that cannot be read is a
 * plain failure (1, thrown), not a verdict on the log.
 */
export function auditVerifyCommand(options: AuditVerifyOptions, io: CommandIo): number {
  const dir = options.dir ?? defaultAuditDir(io.env);
  if (options.publicKey !== undefined && options.checkpoints === undefined) throw new AgentError('usage', '--public-key goes with --checkpoints FILE');
  const result =
    options.checkpoints === undefined
      ? verifyAuditLog(dir)
      : verifyAgainstCheckpoints(dir, readCheckpointsFile(options.checkpoints), { source: options.checkpoints, publicKey: options.publicKey });
  io.out.write(formatVerification(result));
  return result.ok ? EXIT.ok : EXIT.integrityBroken;
}
