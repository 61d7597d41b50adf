import { z } from 'zod';

/** The durable outbox: alerts wait here, on disk, until the broker acknowledges them. */

/** Where the outbox goes when neither `outbox.path` nor `C5_OUTBOX_PATH` says otherwise. */
export const DEFAULT_OUTBOX_PATH = '/var/lib/c5-agent/outbox.sqlite';

export const outboxSchema = z.strictObject({
  /** SQLite file (its folder is created); default `C5_OUTBOX_PATH`, else /var/lib/c5-agent/outbox.sqlite; `:memory:` keeps alerts in memory only (the demo) */
  path: z.string().min(1).optional(),
  /** past any bound the oldest alerts are dropped, counted and logged */
  maxMessages: z.number().int().positive().default(100_000),
  /** alert payload bytes */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024),
  maxAgeHours: z
    .number()
    .positive()
    .max(24 * 365)
    .default(72),
  /** while the file cannot be written (full disk, read-only volume, corrupt file), alerts wait in memory up to this many */
  memoryMaxMessages: z.number().int().positive().default(10_000),
  /** how often a failed outbox file is tried again */
  retrySeconds: z.number().positive().max(3600).default(10),
});

export type OutboxSettings = z.output<typeof outboxSchema>;

/** The config's file, else the environment's, else the default. */
export function outboxPathFrom(settings: OutboxSettings, env: Readonly<Record<string, string | undefined>>): string {
  return settings.path ?? (env['C5_OUTBOX_PATH'] || DEFAULT_OUTBOX_PATH);
}
