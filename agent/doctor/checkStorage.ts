import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, stat, statfs, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { auditDirFrom, checkpointKeyFileFrom } from '../../pipelines/config/auditSchema.js';
import { outboxPathFrom } from '../../pipelines/config/outboxSchema.js';
import { toError } from '../../pipelines/errors.js';
import { fail, pass, warn, type CheckOutcome, type DoctorCheck } from './DoctorCheck.js';
import type { DoctorContext } from './DoctorContext.js';

/** Free space below which a state folder warns: the outbox alone may hold 256 MB by default, the audit log grows daily. */
export const WARN_FREE_BYTES = 1024 * 1024 * 1024;
/** Below this the agent will soon stop storing alerts and audit records: fail. */
export const FAIL_FREE_BYTES = 100 * 1024 * 1024;

export interface StorageThresholds {
  readonly warnBytes: number;
  readonly failBytes: number;
}

interface StateFolder {
  readonly role: string;
  readonly title: string;
  readonly path: string;
}

/**
 * The folders the agent writes, as startAgent's parts find them (config, else environment, else
 * default): the outbox file's folder, the audit log, the checkpoint key's folder while the key is
 * still to be made, and the fleet state and drop folders. Each gets one row.
 */
export function stateFolders(context: DoctorContext): StateFolder[] {
  const { config, env } = context;
  const folders: StateFolder[] = [];
  const outbox = outboxPathFrom(config.outbox, env);
  if (outbox !== ':memory:') folders.push({ role: 'outbox', title: 'outbox folder', path: dirname(resolve(outbox)) });
  folders.push({ role: 'audit', title: 'audit folder', path: resolve(auditDirFrom(config.audit, env)) });
  const keyFile = resolve(checkpointKeyFileFrom(config.audit, env));
  if (!existsSync(keyFile)) folders.push({ role: 'checkpoint-key', title: 'checkpoint key folder', path: dirname(keyFile) });
  if (config.fleet) {
    folders.push({ role: 'fleet-state', title: 'fleet state folder', path: resolve(config.fleet.stateDir) });
    if (config.fleet.dropDir !== undefined) folders.push({ role: 'fleet-drop', title: 'fleet drop folder', path: resolve(config.fleet.dropDir) });
  }
  return folders;
}

/** One row per state folder: a probe file can be created and removed in it (or where the agent will create it), and the disk has room. */
export function storageChecks(
  context: DoctorContext,
  thresholds: StorageThresholds = { warnBytes: WARN_FREE_BYTES, failBytes: FAIL_FREE_BYTES },
): DoctorCheck[] {
  return stateFolders(context).map((folder) => ({
    id: `storage:${folder.role}`,
    title: folder.title,
    family: 'storage',
    timeoutMs: context.timeoutMs,
    run: () => checkFolder(folder.path, thresholds),
  }));
}

async function checkFolder(path: string, thresholds: StorageThresholds): Promise<CheckOutcome> {
  // A folder that does not exist yet is made by the agent (mkdir -p): what must be writable then
  // is its nearest existing ancestor, and that must be a folder.
  const existing = await nearestExisting(path);
  if (!existing.isDirectory) return fail(`${path}: cannot be created: ${existing.path} is not a folder`);
  const where = existing.path === path ? path : `${path} (to be created in ${existing.path})`;
  const probe = join(existing.path, `.c5-doctor-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(probe, 'wx', 0o600);
    try {
      await handle.write('c5-agent doctor probe\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await unlink(probe).catch(() => undefined); // best effort: the file may never have been created
    return fail(`${where}: not writable (${errnoText(error)})`);
  }
  try {
    await unlink(probe);
  } catch (error) {
    return fail(`${where}: a probe file was created but cannot be removed (${errnoText(error)}): ${probe}`);
  }
  const space = await statfs(existing.path);
  const free = space.bavail * space.bsize;
  const freeText = `${formatBytes(free)} free`;
  if (free < thresholds.failBytes) return fail(`${where}: writable, but only ${freeText} (under ${formatBytes(thresholds.failBytes)})`);
  if (free < thresholds.warnBytes) return warn(`${where}: writable, ${freeText} (under ${formatBytes(thresholds.warnBytes)})`);
  return pass(`${where}: writable, ${freeText}`);
}

async function nearestExisting(path: string): Promise<{ path: string; isDirectory: boolean }> {
  let current = path;
  for (;;) {
    try {
      const info = await stat(current);
      return { path: current, isDirectory: info.isDirectory() };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a component on the way is a file; keep climbing to name it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      const parent = dirname(current);
      if (parent === current) throw error;
      current = parent;
    }
  }
}

function errnoText(error: unknown): string {
  const { code, message } = toError(error) as NodeJS.ErrnoException;
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'EACCES' || code === 'EPERM') return `permission denied for user ${process.getuid?.() ?? '?'}`;
  if (code === 'ENOSPC') return 'no space left on the device';
  return code ?? message;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
