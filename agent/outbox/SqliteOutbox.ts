import { accessSync, constants, mkdirSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PublishError, toError } from '../../pipelines/errors.js';
import type { Logger } from '../observe/logger.js';
import { dropOf, exceededBound, payloadBytes, type Outbox, type OutboxDrop, type OutboxLimits, type OutboxRecord, type OutboxStats } from './Outbox.js';

export const MEMORY_PATH = ':memory:';
const SCHEMA_VERSION = 1;

interface Row {
  seq: number;
  id: string;
  camera_id: string;
  topic: string;
  payload: string;
  created_at: number;
  frame_time: number;
}

interface DroppedRow {
  seq: number;
  id: string;
  camera_id: string;
  created_at: number;
  bytes: number;
}

/** What went wrong, in words an operator can act on; the code is stable for logs, status and tests. */
function classify(code: string): { code: string; says: string } {
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC') return { code: 'outbox_full', says: 'the disk is full' };
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return { code: 'outbox_read_only', says: 'the file or its volume is read-only' };
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return { code: 'outbox_corrupt', says: 'the file is not a usable SQLite database; move it aside and the agent starts a new one' };
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'ENOENT') return { code: 'outbox_unavailable', says: 'the file or its folder cannot be opened' };
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return { code: 'outbox_busy', says: 'another process holds the file' };
  return { code: 'outbox_io', says: 'an I/O error' };
}

/** Wraps a SQLite or file-system error: names the file, the action and the cause, never a payload. */
export function outboxError(path: string, action: string, error: unknown): PublishError {
  if (error instanceof PublishError) return error;
  const cause = toError(error);
  const raw = (cause as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : '';
  const { code: ours, says } = classify(code);
  return new PublishError(ours, `outbox ${path}: cannot ${action}: ${says} (${code || 'error'}: ${cause.message})`, { cause });
}

/**
 * SQLite says only "unable to open database file"; the folder says why (EROFS, EACCES, ENOENT),
 * which is what an operator needs to hear.
 */
function directoryCause(path: string, error: unknown): unknown {
  const code = String((error as { code?: unknown }).code ?? '');
  if (path === MEMORY_PATH || !(code.startsWith('SQLITE_CANTOPEN') || code === 'ENOENT')) return error;
  try {
    accessSync(dirname(path), constants.W_OK);
    return error;
  } catch (dirError) {
    return dirError;
  }
}

export interface SqliteOutboxOptions {
  /**
   * `commit` (default): synchronous=FULL, every add() is on disk when it returns (an fsync on the
   * calling thread, milliseconds each). `deferred`: commits write the WAL without waiting for the
   * disk, and sync() flushes the WAL file on libuv's thread pool, one flush for every commit made
   * while the previous one ran. The guarantee is the same once sync() resolves; the frame thread
   * no longer waits for the disk.
   */
  readonly durability?: 'commit' | 'deferred';
  /** told when a file handle cannot be closed (nothing is lost, but it should not go unsaid) */
  readonly logger?: Logger;
}

/**
 * The durable outbox: one SQLite file in WAL mode, so a record survives a power cut once it is
 * on disk (see SqliteOutboxOptions for when that is). Every method throws a PublishError with an
 * `outbox_*` code when the file cannot be used; FallbackOutbox decides what to do about it.
 */
export class SqliteOutbox implements Outbox {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly limits: OutboxLimits;
  private readonly statements: ReturnType<typeof prepare>;
  private stored = 0;
  private storedBytes = 0;
  private highestSeq = 0;
  private closed = false;
  private readonly deferred: boolean;
  private flushRunning = false;
  private walFile: FileHandle | undefined;
  private readonly logger: Logger | undefined;
  /** callers of sync() whose commits the running flush may not cover: the next flush is theirs */
  private syncWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  private constructor(path: string, db: Database.Database, limits: OutboxLimits, deferred: boolean, logger: Logger | undefined) {
    this.path = path;
    this.logger = logger;
    this.db = db;
    this.limits = limits;
    this.deferred = deferred;
    this.statements = prepare(db);
    const totals = this.statements.totals.get() as { messages: number; bytes: number | null };
    this.stored = totals.messages;
    this.storedBytes = totals.bytes ?? 0;
    const meta = this.statements.lastSeq.get() as { value: number } | undefined;
    const newest = this.statements.newestSeq.get() as { seq: number | null };
    this.highestSeq = Math.max(meta?.value ?? 0, newest.seq ?? 0);
  }

  /** Opens (creating the file and its folder if need be) and checks the schema. Throws PublishError. */
  static open(path: string, limits: OutboxLimits, options: SqliteOutboxOptions = {}): SqliteOutbox {
    let db: Database.Database | undefined;
    const deferred = options.durability === 'deferred' && path !== MEMORY_PATH;
    try {
      if (path !== MEMORY_PATH) mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      // WAL: readers never block the writer and a commit is one append. FULL: fsync on every
      // commit; NORMAL: the WAL is synced at checkpoints, and by sync() for each group of alerts.
      db.pragma('journal_mode = WAL');
      db.pragma(deferred ? 'synchronous = NORMAL' : 'synchronous = FULL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new PublishError(
          'outbox_schema',
          `outbox ${path}: written by a newer agent (schema ${version}, this agent knows ${SCHEMA_VERSION}); upgrade the agent or move the file aside`,
        );
      }
      if (version < SCHEMA_VERSION) createSchema(db);
      return new SqliteOutbox(path, db, limits, deferred, options.logger);
    } catch (error) {
      db?.close();
      throw outboxError(path, 'open', directoryCause(path, error));
    }
  }

  get lastSeq(): number {
    return this.highestSeq;
  }

  add(records: readonly OutboxRecord[]): OutboxDrop[] {
    const { insert, raiseLastSeq, dropOldest } = this.statements;
    let messages = this.stored;
    let bytes = this.storedBytes;
    let highest = this.highestSeq;
    const drops: OutboxDrop[] = [];
    try {
      this.db.transaction(() => {
        for (const record of records) {
          if (record.seq <= highest) throw new PublishError('outbox_seq', `outbox ${this.path}: seq ${record.seq} is not above the last stored seq ${highest}`);
          insert.run(record.seq, record.id, record.cameraId, record.topic, record.payload, record.createdAt, record.frameTime);
          messages += 1;
          bytes += payloadBytes(record);
          highest = record.seq;
        }
        // Always a write: an empty add() proves the file can be written again.
        raiseLastSeq.run(highest);
        for (let bound = exceededBound(messages, bytes, this.limits); bound; bound = exceededBound(messages, bytes, this.limits)) {
          const row = dropOldest.get() as DroppedRow | undefined;
          if (!row) break;
          messages -= 1;
          bytes -= row.bytes;
          drops.push(dropOf({ seq: row.seq, id: row.id, cameraId: row.camera_id, createdAt: row.created_at }, bound));
        }
      })();
    } catch (error) {
      throw outboxError(this.path, 'store alerts', error);
    }
    this.stored = messages;
    this.storedBytes = bytes;
    this.highestSeq = highest;
    return drops;
  }

  /**
   * Flushes the WAL file to disk on the thread pool. A flush already running may have started
   * before the caller's commit, so callers arriving meanwhile share the one queued behind it.
   * Resolves at once in `commit` mode (add() already synced) and when there is no WAL file (the
   * closing checkpoint moved everything into the synced database file).
   */
  sync(): Promise<void> {
    if (!this.deferred) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      if (!this.flushRunning) this.startFlush();
    });
  }

  private startFlush(): void {
    const covered = this.syncWaiters;
    this.syncWaiters = [];
    this.flushRunning = true;
    void this.flushWal()
      .then(
        () => covered.forEach((waiter) => waiter.resolve()),
        (error: Error) => covered.forEach((waiter) => waiter.reject(error)),
      )
      .finally(() => {
        this.flushRunning = false;
        if (this.syncWaiters.length > 0) this.startFlush();
      });
  }

  private async flushWal(): Promise<void> {
    try {
      // The WAL file stays the same file while this connection is open (SQLite rewinds it after a
      // checkpoint, never replaces it), so one handle serves every flush: one thread-pool job each.
      // Flushes run one at a time, so there is never a second open racing this one.
      this.walFile ??= await openFile(`${this.path}-wal`, 'r');
      await this.walFile.datasync();
    } catch (error) {
      this.releaseWalFile();
      if ((error as { code?: unknown }).code === 'ENOENT') return;
      throw outboxError(this.path, 'flush stored alerts to disk', error);
    }
  }

  /** Closes the WAL handle once any flush on it is done (FileHandle.close waits for it). */
  private releaseWalFile(): void {
    const file = this.walFile;
    this.walFile = undefined;
    file?.close().catch((error: unknown) => this.logger?.warn({ err: toError(error), path: this.path }, 'outbox: closing the WAL handle failed'));
  }

  after(afterSeq: number, limit: number): OutboxRecord[] {
    try {
      return (this.statements.after.all(afterSeq, limit) as Row[]).map(fromRow);
    } catch (error) {
      throw outboxError(this.path, 'read alerts', error);
    }
  }

  remove(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    const { remove } = this.statements;
    let messages = this.stored;
    let bytes = this.storedBytes;
    try {
      // One transaction for every PUBACK that arrived together, and no fsync of its own: a delete
      // that a power cut undoes only sends an alert again (receivers de-duplicate on its id), while
      // an fsync costs milliseconds on the thread that handles frames. The next stored alert's
      // flush makes it durable anyway, as WAL frames are synced in order.
      if (!this.deferred) this.db.pragma('synchronous = NORMAL');
      try {
        this.db.transaction(() => {
          for (const seq of seqs) {
            const row = remove.get(seq) as { bytes: number } | undefined;
            if (!row) continue;
            messages -= 1;
            bytes -= row.bytes;
          }
        })();
      } finally {
        if (!this.deferred) this.db.pragma('synchronous = FULL');
      }
    } catch (error) {
      throw outboxError(this.path, 'delete delivered alerts', error);
    }
    this.stored = messages;
    this.storedBytes = bytes;
  }

  expire(cutoff: number): OutboxDrop[] {
    try {
      const rows = this.statements.expire.all(cutoff) as DroppedRow[];
      for (const row of rows) {
        this.stored -= 1;
        this.storedBytes -= row.bytes;
      }
      return rows.map((row) => dropOf({ seq: row.seq, id: row.id, cameraId: row.camera_id, createdAt: row.created_at }, 'max_age'));
    } catch (error) {
      throw outboxError(this.path, 'drop expired alerts', error);
    }
  }

  stats(): OutboxStats {
    try {
      const oldest = this.statements.oldest.get() as { created_at: number } | undefined;
      return { messages: this.stored, bytes: this.storedBytes, oldestCreatedAt: oldest?.created_at ?? null };
    } catch (error) {
      throw outboxError(this.path, 'read its size', error);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    // The closing checkpoint synced everything into the database file; the handle is not needed.
    this.releaseWalFile();
  }
}

function createSchema(db: Database.Database): void {
  db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        camera_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        frame_time INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

function prepare(db: Database.Database) {
  const dropped = 'seq, id, camera_id, created_at, length(CAST(payload AS BLOB)) AS bytes';
  return {
    totals: db.prepare('SELECT COUNT(*) AS messages, SUM(length(CAST(payload AS BLOB))) AS bytes FROM outbox'),
    lastSeq: db.prepare("SELECT value FROM meta WHERE key = 'last_seq'"),
    newestSeq: db.prepare('SELECT MAX(seq) AS seq FROM outbox'),
    oldest: db.prepare('SELECT created_at FROM outbox ORDER BY seq LIMIT 1'),
    insert: db.prepare('INSERT INTO outbox (seq, id, camera_id, topic, payload, created_at, frame_time) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    raiseLastSeq: db.prepare("INSERT INTO meta (key, value) VALUES ('last_seq', ?) ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)"),
    dropOldest: db.prepare(`DELETE FROM outbox WHERE seq = (SELECT MIN(seq) FROM outbox) RETURNING ${dropped}`),
    after: db.prepare('SELECT seq, id, camera_id, topic, payload, created_at, frame_time FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?'),
    remove: db.prepare('DELETE FROM outbox WHERE seq = ? RETURNING length(CAST(payload AS BLOB)) AS bytes'),
    expire: db.prepare(`DELETE FROM outbox WHERE created_at < ? RETURNING ${dropped}`),
  };
}

function fromRow(row: Row): OutboxRecord {
  return {
    seq: row.seq,
    id: row.id,
    cameraId: row.camera_id,
    topic: row.topic,
    payload: row.payload,
    createdAt: row.created_at,
    frameTime: row.frame_time,
  };
}
