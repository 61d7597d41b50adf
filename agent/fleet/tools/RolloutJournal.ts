import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { formatIssues } from '../../../pipelines/config/formatIssues.js';
import { AgentError, ConfigError } from '../../../pipelines/errors.js';
import { readBoundedFile } from '../../config/readBoundedFile.js';
import { writeFileAtomic } from '../FleetStateStore.js';

/**
 * The resumable record of one `fleet push`: `<state>/rollouts/<rollout-id>.json`, replaced
 * atomically before the first wave and after every wave, so `--resume` knows the version, the
 * exact text each site gets (by sha256, in `<state>/pushed/`), the signing key id and expiry (the
 * envelopes are signed again byte for byte: Ed25519 is deterministic) and which waves are done.
 */

export const ROLLOUT_SCHEMA = 'c5.fleet-rollout.v1';
/** 14,000 sites at ~100 bytes each, with room to spare */
const MAX_JOURNAL_BYTES = 64 * 1024 * 1024;
const ROLLOUT_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const siteId = z.string().min(1).max(64);

const failureSchema = z.strictObject({ siteId, status: z.string(), reason: z.string() });

const waveSchema = z.strictObject({
  index: z.number().int().min(1),
  sites: z.array(siteId),
  /** planned: not (fully) published; published: every PUBACK in, waiting; completed / halted: its verdict is below */
  state: z.enum(['planned', 'published', 'completed', 'halted']),
  applied: z.array(siteId).default([]),
  failed: z.array(failureSchema).default([]),
  pendingOffline: z.array(siteId).default([]),
  seconds: z.number().min(0).optional(),
  publishSeconds: z.number().min(0).optional(),
});

export const rolloutJournalSchema = z.strictObject({
  schema: z.literal(ROLLOUT_SCHEMA),
  rolloutId: z.string().regex(ROLLOUT_ID),
  version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  createdAt: z.iso.datetime({ offset: false }),
  prefix: z.string().min(1),
  keyId: z.string().min(1),
  /** the envelopes' expiry, ISO 8601 UTC; null: they never expire */
  expiresAt: z.iso.datetime({ offset: false }).nullable(),
  waveDeadlineMs: z.number().int().min(1),
  /** --max-failures as given: `3` or `5%` */
  maxFailures: z.string(),
  /** site id -> sha256 of the exact text it gets (the file in pushed/) */
  texts: z.record(siteId, sha256),
  untouched: z.array(siteId),
  waves: z.array(waveSchema),
  halted: z.boolean(),
});

export type RolloutJournalData = z.output<typeof rolloutJournalSchema>;
export type WaveRecord = RolloutJournalData['waves'][number];
export type WaveFailure = z.output<typeof failureSchema>;

/** `20261205T053012Z-3fa2c1`: sorts by time, so the latest rollout is the greatest name. */
export function newRolloutId(now: number, random: string): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${stamp}-${random}`;
}

export class RolloutJournal {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'rollouts');
  }

  async save(journal: RolloutJournalData): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.pathOf(journal.rolloutId), `${JSON.stringify(journal)}\n`);
  }

  /** `latest` or a rollout id; throws AgentError `rollout_not_found` / `rollout_unreadable`. */
  load(which: string): RolloutJournalData {
    const rolloutId = which === 'latest' ? this.latestId() : which;
    if (rolloutId === undefined) throw new AgentError('rollout_not_found', `no rollout to resume in ${this.dir}`);
    if (!ROLLOUT_ID.test(rolloutId))
      throw new AgentError('usage', `--resume: "${rolloutId.slice(0, 40)}" is not a rollout id (such as 20261205T053012Z-3fa2c1) or latest`);
    const path = this.pathOf(rolloutId);
    const read = readBoundedFile(path, MAX_JOURNAL_BYTES);
    if (!read.ok) {
      if (read.problem === 'unreadable' && read.reason === 'ENOENT') throw new AgentError('rollout_not_found', `no rollout ${rolloutId} in ${this.dir}`);
      throw new AgentError('rollout_unreadable', `cannot read ${path} (${read.reason})`);
    }
    let document: unknown;
    try {
      document = JSON.parse(read.bytes.toString('utf8'));
    } catch {
      throw new ConfigError('rollout_unreadable', `${path} is not JSON`);
    }
    const parsed = rolloutJournalSchema.safeParse(document);
    if (!parsed.success) throw new ConfigError('rollout_unreadable', `${path}: ${formatIssues(parsed.error.issues, document).slice(0, 3).join('; ')}`);
    return parsed.data;
  }

  /** The highest version any rollout in the folder gave (0 when there is none). */
  highestVersion(): number {
    let highest = 0;
    for (const id of this.ids()) {
      try {
        highest = Math.max(highest, this.load(id).version);
      } catch (error) {
        // An unreadable journal names no version; the version seen on the broker still counts.
        void error;
      }
    }
    return highest;
  }

  private latestId(): string | undefined {
    return this.ids().at(-1);
  }

  private ids(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new AgentError('rollout_unreadable', `cannot list ${this.dir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return names
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .filter((id) => ROLLOUT_ID.test(id))
      .sort();
  }

  private pathOf(rolloutId: string): string {
    return join(this.dir, `${rolloutId}.json`);
  }
}
