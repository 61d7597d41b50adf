import { parseArgs } from 'node:util';
import { auditDirFrom, auditSchema } from '../../pipelines/config/auditSchema.js';
import { AgentError } from '../../pipelines/errors.js';
import { explainAlert, formatExplanation } from './explainAlert.js';
import { readCheckpointsFile } from './readCheckpointsFile.js';
import { verifyAgainstCheckpoints } from './verifyCheckpoints.js';
import { formatVerification, verifyAuditLog } from './verifyAuditLog.js';

export interface AuditCommandIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: { write(text: string): unknown };
}

/**
 * `c5-agent audit verify [DIR] [--checkpoints FILE [--public-key KEY]]` (exit 0 when the chain
 * holds and agrees with every checkpoint, 1 at the first broken or rewritten record) and
 * `c5-agent audit explain ALERT_ID [--dir DIR]`. DIR defaults to `C5_AUDIT_DIR`, else the
 * agent's default folder. Undefined for an unknown subcommand, so the CLI prints its usage.
 */
export function auditCommand(args: readonly string[], io: AuditCommandIo): number | undefined {
  const [sub, ...rest] = args;
  const defaultDir = (): string => auditDirFrom(auditSchema.parse({}), io.env);
  if (sub === 'verify') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { checkpoints: { type: 'string' }, 'public-key': { type: 'string' } },
    });
    const dir = positionals[0] ?? defaultDir();
    const publicKey = values['public-key'];
    if (publicKey !== undefined && values.checkpoints === undefined) throw new AgentError('usage', '--public-key goes with --checkpoints FILE');
    const result =
      values.checkpoints === undefined
        ? verifyAuditLog(dir)
        : verifyAgainstCheckpoints(dir, readCheckpointsFile(values.checkpoints), { source: values.checkpoints, publicKey });
    io.out.write(formatVerification(result));
    return result.ok ? 0 : 1;
  }
  if (sub === 'explain') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { dir: { type: 'string' } } });
    const [alertId] = positionals;
    if (!alertId) throw new AgentError('usage', 'audit explain needs an alert id: c5-agent audit explain ALERT_ID [--dir DIR]');
    io.out.write(formatExplanation(explainAlert(values.dir ?? defaultDir(), alertId)));
    return 0;
  }
  return undefined;
}
