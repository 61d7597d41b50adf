import { z } from 'zod';

/** The hash-chained audit log (README, "Audit log"). */

/** Where the log goes when neither `audit.dir` nor `C5_AUDIT_DIR` says otherwise. */
export const DEFAULT_AUDIT_DIR = '/var/lib/c5-agent/audit';

export const auditSchema = z.strictObject({
  /** folder of `audit-YYYY-MM-DD.jsonl` files; default `C5_AUDIT_DIR`, else /var/lib/c5-agent/audit */
  dir: z.string().min(1).optional(),
  /**
   * Records are written as they happen and fsync'd together this often: a power cut loses at
   * most this much of the log, and no frame ever waits for the disk.
   */
  fsyncIntervalMs: z.number().int().min(10).max(60_000).default(1_000),
});

export type AuditSettings = z.output<typeof auditSchema>;

/** The config's folder, else the environment's, else the default. */
export function auditDirFrom(settings: AuditSettings, env: Readonly<Record<string, string | undefined>>): string {
  return settings.dir ?? (env['C5_AUDIT_DIR'] || DEFAULT_AUDIT_DIR);
}
