import { mkdtempSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxRecord } from '../../../../agent/outbox/Outbox.js';
import { outboxError, SqliteOutbox, type SqliteOutboxOptions } from '../../../../agent/outbox/SqliteOutbox.js';
import { PublishError } from '../../../../pipelines/errors.js';

const limits = { maxMessages: 100, maxBytes: 1_000_000 };
const opened: SqliteOutbox[] = [];
const dir = mkdtempSync(join(tmpdir(), 'c5-sqlite-outbox-'));
let fileCount = 0;

function open(path = join(dir, `outbox-${++fileCount}.sqlite`), options: SqliteOutboxOptions = {}): SqliteOutbox {
  const outbox = SqliteOutbox.open(path, limits, options);
  opened.push(outbox);
  return outbox;
}

const record = (seq: number, cameraId = 'cam-1'): OutboxRecord => ({
  seq,
  id: `id-${seq}`,
  cameraId,
  topic: `c5/s/${cameraId}/alerts`,
  payload: JSON.stringify({ seq, note: 'élan' }),
  createdAt: 1_000 + seq,
  frameTime: 900 + seq,
});

afterEach(() => {
  for (const outbox of opened.splice(0)) outbox.close();
});

describe('SqliteOutbox', () => {
  it('keeps records and the last seq across a close and reopen, in WAL mode', () => {
    const path = join(dir, 'reopen.sqlite');
    const first = open(path);
    first.add([record(1), record(2, 'cam-2'), record(3)]);
    first.remove([1, 3]);
    first.close();

    const second = open(path);
    expect(second.lastSeq).toBe(3);
    expect(second.after(0, 10)).toEqual([record(2, 'cam-2')]);
    expect(second.stats()).toEqual({ messages: 1, bytes: Buffer.byteLength(record(2).payload), oldestCreatedAt: 1_002 });
    // The last seq survives even when every record was delivered: seq never goes back.
    second.remove([2]);
    second.close();
    expect(open(path).lastSeq).toBe(3);

    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('with its flush deferred, commits at once (another reader sees them), and sync() resolves every caller, those arriving during a flush included', async () => {
    const path = join(dir, 'deferred.sqlite');
    const outbox = open(path, { durability: 'deferred' });
    outbox.add([record(1)]);
    const reader = new Database(path, { readonly: true });
    try {
      expect(reader.prepare('SELECT id FROM outbox').all()).toEqual([{ id: 'id-1' }]);
      expect(reader.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      reader.close();
    }
    const first = outbox.sync();
    outbox.add([record(2)]);
    // A flush is running: these callers' commits may postdate it, so they wait for the next one.
    const during = [outbox.sync(), outbox.sync()];
    outbox.add([record(3)]);
    const last = outbox.sync();
    await expect(Promise.all([first, ...during, last])).resolves.toHaveLength(4);
    outbox.close();
    // After close the closing checkpoint holds everything; a late sync() has nothing to flush.
    await expect(outbox.sync()).resolves.toBeUndefined();
    expect(
      open(path)
        .after(0, 10)
        .map((r) => r.seq),
    ).toEqual([1, 2, 3]);
  });

  it('says which file could not be flushed when the disk refuses', async () => {
    const path = join(dir, 'flush-fails.sqlite');
    const outbox = open(path, { durability: 'deferred' });
    outbox.add([record(1)]);
    // The WAL's name pointed at a device that cannot be flushed (fdatasync: EINVAL), as a broken volume would refuse.
    renameSync(`${path}-wal`, `${path}-wal.moved`);
    symlinkSync('/dev/null', `${path}-wal`);
    await expect(outbox.sync()).rejects.toMatchObject({
      code: 'outbox_io',
      message: expect.stringMatching(/^outbox .*flush-fails\.sqlite: cannot flush stored alerts to disk: an I\/O error \(EINVAL/),
    });
    unlinkSync(`${path}-wal`);
    renameSync(`${path}-wal.moved`, `${path}-wal`);
  });

  it('proves the file can be written with an empty add()', () => {
    const outbox = open();
    expect(outbox.add([])).toEqual([]);
    expect(outbox.lastSeq).toBe(0);
  });

  it('says clearly that a corrupt file is corrupt, and what to do', () => {
    const path = join(dir, 'corrupt.sqlite');
    writeFileSync(path, 'garbage '.repeat(1000));
    expect(() => open(path)).toThrow(PublishError);
    try {
      open(path);
    } catch (error) {
      expect(error).toMatchObject({ code: 'outbox_corrupt' });
      expect((error as Error).message).toMatch(
        /^outbox .*corrupt\.sqlite: cannot open: the file is not a usable SQLite database; move it aside .*\(SQLITE_NOTADB: /,
      );
    }
  });

  it('refuses a file written by a newer agent instead of guessing its layout', () => {
    const path = join(dir, 'newer.sqlite');
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => open(path)).toThrow(expect.objectContaining({ code: 'outbox_schema', message: expect.stringContaining('newer agent (schema 99') }));
  });

  it('names the folder problem when the file cannot be created', () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    expect(() => open(join(blocker, 'outbox.sqlite'))).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^outbox_/), message: expect.stringContaining('a-file/outbox.sqlite: cannot open') }),
    );
  });
});

describe('outboxError', () => {
  it('maps disk, volume and file conditions to stable codes', () => {
    const codeOf = (code: string): string => outboxError('/x', 'store alerts', Object.assign(new Error('e'), { code })).code;
    expect(codeOf('SQLITE_FULL')).toBe('outbox_full');
    expect(codeOf('ENOSPC')).toBe('outbox_full');
    expect(codeOf('SQLITE_READONLY_DBMOVED')).toBe('outbox_read_only');
    expect(codeOf('EROFS')).toBe('outbox_read_only');
    expect(codeOf('SQLITE_CORRUPT')).toBe('outbox_corrupt');
    expect(codeOf('SQLITE_BUSY')).toBe('outbox_busy');
    expect(codeOf('SQLITE_IOERR_WRITE')).toBe('outbox_io');
  });
});
