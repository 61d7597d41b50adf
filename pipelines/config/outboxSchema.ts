import { z } from 'zod';

/** The durable outbox: alerts wait here, on disk, until the broker acknowledges them. */

/** Where the outbox goes when neither `outbox.path` nor `C5_OUTBOX_PATH` says otherwise. */
export const DEFAULT_OUTBOX_PATH = '/var/lib/c5-agent/outbox.sqlite';

export const outboxSchema = z
  .strictObject({
    /** SQLite file (its folder is created); default `C5_OUTBOX_PATH`, else /var/lib/c5-agent/outbox.sqlite; `:memory:` keeps alerts in memory only (the demo) */
    path: z
      .string()
      .min(1)
      .optional()
      .describe(
        `The outbox SQLite file (its folder is created); :memory: keeps alerts in memory only (the demo). Default: C5_OUTBOX_PATH, else ${DEFAULT_OUTBOX_PATH}.`,
      ),
    /** past any bound the oldest alerts are dropped, counted and logged */
    maxMessages: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe('Most alerts kept waiting; past it the oldest are dropped, counted, logged and audited. Default 100000.'),
    /** alert payload bytes */
    maxBytes: z
      .number()
      .int()
      .positive()
      .default(256 * 1024 * 1024)
      .describe('Most alert payload bytes kept waiting; past it the oldest are dropped. Default 268435456 (256 MiB).'),
    maxAgeHours: z
      .number()
      .positive()
      .max(24 * 365)
      .default(72)
      .describe('Hours (over 0, up to 8760) an alert may wait; older ones are dropped. Default 72.'),
    /** while the file cannot be written (full disk, read-only volume, corrupt file), alerts wait in memory up to this many */
    memoryMaxMessages: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('While the file cannot be written (full disk, read-only volume, corrupt file), alerts wait in memory, at most this many. Default 10000.'),
    /** how often a failed outbox file is tried again */
    retrySeconds: z.number().positive().max(3600).default(10).describe('Seconds (over 0, up to 3600) between tries of a failed outbox file. Default 10.'),
  })
  .describe('The durable outbox: alerts wait on disk until the broker acknowledges them. Changes take effect at the next restart.');

export type OutboxSettings = z.output<typeof outboxSchema>;

/** The config's file, else the environment's, else the default. */
export function outboxPathFrom(settings: OutboxSettings, env: Readonly<Record<string, string | undefined>>): string {
  return settings.path ?? (env['C5_OUTBOX_PATH'] || DEFAULT_OUTBOX_PATH);
}
