import { z } from 'zod';

/** The hash-chained audit log (README, "Audit log"). */

/** Where the log goes when neither `audit.dir` nor `C5_AUDIT_DIR` says otherwise. */
export const DEFAULT_AUDIT_DIR = '/var/lib/c5-agent/audit';

export const auditSchema = z
  .strictObject({
    /** folder of `audit-YYYY-MM-DD.jsonl` files; default `C5_AUDIT_DIR`, else /var/lib/c5-agent/audit */
    dir: z
      .string()
      .min(1)
      .optional()
      .describe(`Folder of the daily audit-YYYY-MM-DD.jsonl files (created if missing). Default: C5_AUDIT_DIR, else ${DEFAULT_AUDIT_DIR}.`),
    /**
     * Records are written as they happen and fsync'd together this often: a power cut loses at
     * most this much of the log, and no frame ever waits for the disk.
     */
    fsyncIntervalMs: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(1_000)
      .describe('Milliseconds (10..60000) between fsyncs of the log: a power cut loses at most this much of it. Default 1000.'),
    /**
     * How often the log's head is signed and published on `{prefix}/{site}/audit/checkpoint` when
     * it has moved (also once at start and at stop). A rewrite of records older than the newest
     * checkpoint the centre holds is caught by `audit verify --checkpoints`.
     */
    checkpointIntervalSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(300)
      .describe("Seconds (1..86400) between signed checkpoints of the log's head on {prefix}/{site}/audit/checkpoint, when it moved. Default 300."),
    /**
     * The box's Ed25519 checkpoint signing key (PKCS#8 PEM, mode 0600), made on first start;
     * default beside the audit folder, `<dir>-checkpoint-key.pem`, never inside it.
     */
    checkpointKeyFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The box's Ed25519 checkpoint signing key (PKCS#8 PEM, mode 0600), made on first start. Default: beside the audit folder, <dir>-checkpoint-key.pem.",
      ),
  })
  .describe('The hash-chained audit log of every decision. Changes take effect at the next restart.');

export type AuditSettings = z.output<typeof auditSchema>;

/** The config's folder, else the environment's, else the default. */
export function auditDirFrom(settings: AuditSettings, env: Readonly<Record<string, string | undefined>>): string {
  return settings.dir ?? (env['C5_AUDIT_DIR'] || DEFAULT_AUDIT_DIR);
}

/**
 * The configured checkpoint key, else one beside the audit folder, never in it: the folder is
 * what gets copied to an auditor, and whoever holds this key can sign checkpoints.
 * `/var/lib/c5-agent/audit` -> `/var/lib/c5-agent/audit-checkpoint-key.pem`.
 */
export function checkpointKeyFileFrom(settings: AuditSettings, env: Readonly<Record<string, string | undefined>>): string {
  return settings.checkpointKeyFile ?? `${auditDirFrom(settings, env).replace(/\/+$/, '')}-checkpoint-key.pem`;
}
