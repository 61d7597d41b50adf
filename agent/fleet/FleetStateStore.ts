import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { ConfigError, toError } from '../../pipelines/errors.js';

/**
 * What the fleet keeps across restarts, in `fleet.stateDir`:
 * - `last-known-good.json`: the exact bytes of the last pushed config that passed probation;
 * - `version-high-water-mark.json`: the highest version ever accepted, raised before a push is
 *   applied (so a version is tried at most once) and never lowered; once that push has its
 *   verdict, the verdict too (so the same envelope delivered again gets an answer);
 * - `apply-in-progress.json`: the push being applied or on probation, written before it is
 *   applied and removed once its verdict is recorded. Found at a start, it names a push that a
 *   crash (or a stop) interrupted: it gets the verdict `rolled_back`, reason `interrupted`.
 * Both are replaced atomically: temp file, fsync, rename, fsync of the folder. A crash leaves the
 * old file or the new one, never a torn one.
 */

const LAST_KNOWN_GOOD = 'last-known-good.json';
const HIGH_WATER_MARK = 'version-high-water-mark.json';
const APPLY_IN_PROGRESS = 'apply-in-progress.json';

const storedConfigSchema = z.strictObject({
  version: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  keyId: z.string().optional(),
  appliedAt: z.iso.datetime({ offset: false }),
  /** the config bytes as signed, base64; secret references stay references */
  payload: z.string(),
});

const recordedVerdictSchema = z.strictObject({
  status: z.enum(['applied', 'rolled_back']),
  reason: z.string().optional(),
  time: z.iso.datetime({ offset: false }),
});

const highWaterMarkSchema = z.strictObject({
  version: z.number().int().min(0),
  /** sha256 of the envelope that raised it: a retained push delivered again is recognised */
  envelopeSha256: z.string().optional(),
  /** what became of that envelope; absent while it is being applied (or for a file's version) */
  verdict: recordedVerdictSchema.optional(),
  updatedAt: z.iso.datetime({ offset: false }),
});

const applyInProgressSchema = z.strictObject({
  version: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  envelopeSha256: z.string().optional(),
  keyId: z.string().nullable(),
  origin: z.enum(['mqtt', 'drop_folder', 'local_file']),
  /** the config that ran before: what the next start runs again */
  from: z.strictObject({ version: z.number().int().min(0), sha256: z.string() }),
  startedAt: z.iso.datetime({ offset: false }),
});

export type StoredConfig = z.output<typeof storedConfigSchema>;
export type HighWaterMark = z.output<typeof highWaterMarkSchema>;
export type RecordedVerdict = z.output<typeof recordedVerdictSchema>;
export type ApplyInProgress = z.output<typeof applyInProgressSchema>;

export class FleetStateStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** undefined when nothing was persisted yet; throws ConfigError `fleet_state_corrupt` when unreadable. */
  readLastKnownGood(): StoredConfig | undefined {
    const stored = this.read(LAST_KNOWN_GOOD, storedConfigSchema);
    if (stored && Buffer.from(stored.payload, 'base64').length === 0) {
      throw new ConfigError('fleet_state_corrupt', `${join(this.dir, LAST_KNOWN_GOOD)}: empty payload`);
    }
    return stored;
  }

  readHighWaterMark(): HighWaterMark | undefined {
    return this.read(HIGH_WATER_MARK, highWaterMarkSchema);
  }

  async saveLastKnownGood(config: Omit<StoredConfig, 'payload'>, payload: Buffer): Promise<void> {
    await this.write(LAST_KNOWN_GOOD, { ...config, payload: payload.toString('base64') });
  }

  /** Refuses to go down: the caller's in-memory mark and the file can only agree upward. */
  async raiseHighWaterMark(mark: HighWaterMark): Promise<void> {
    const current = this.readHighWaterMark();
    if (current && mark.version < current.version) {
      throw new ConfigError('high_water_mark_lowered', `refusing to lower the version high-water mark from ${current.version} to ${mark.version}`);
    }
    await this.write(HIGH_WATER_MARK, mark);
  }

  /** Adds the verdict to the mark when the mark is still the one `envelopeSha256` raised. */
  async recordVerdict(envelopeSha256: string, verdict: RecordedVerdict): Promise<void> {
    const current = this.readHighWaterMark();
    if (current?.envelopeSha256 !== envelopeSha256) return;
    await this.write(HIGH_WATER_MARK, { ...current, verdict });
  }

  readApplyInProgress(): ApplyInProgress | undefined {
    return this.read(APPLY_IN_PROGRESS, applyInProgressSchema);
  }

  async markApplyInProgress(entry: ApplyInProgress): Promise<void> {
    await this.write(APPLY_IN_PROGRESS, entry);
  }

  async clearApplyInProgress(): Promise<void> {
    await rm(join(this.dir, APPLY_IN_PROGRESS), { force: true });
    await syncFolder(this.dir);
  }

  private read<T>(name: string, schema: z.ZodType<T>): T | undefined {
    const path = join(this.dir, name);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ConfigError('fleet_state_unreadable', `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? toError(error).message})`);
    }
    try {
      return schema.parse(JSON.parse(text));
    } catch (error) {
      throw new ConfigError('fleet_state_corrupt', `${path}: ${toError(error).message}`);
    }
  }

  private async write(name: string, value: unknown): Promise<void> {
    // 0700: a pushed config may hold literal credentials (camera URLs).
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.dir, name), `${JSON.stringify(value, null, 2)}\n`);
  }
}

/** Temp file in the same folder, fsync, rename over the target, fsync the folder; mode 0600. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  // The rename itself lives in the folder's metadata: without this a power cut can undo it.
  await syncFolder(dirname(path));
}

async function syncFolder(dir: string): Promise<void> {
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
