import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { storageChecks } from '../../../agent/doctor/checkStorage.js';
import type { CheckOutcome } from '../../../agent/doctor/DoctorCheck.js';
import { doctorContext } from '../../helpers/doctorContext.js';
import { requirePrerequisite } from '../../helpers/prerequisites.js';

const exec = promisify(execFile);
const dirs: string[] = [];
const mounts: string[] = [];

afterAll(async () => {
  for (const target of mounts) await exec('umount', [target]).catch(() => exec('umount', ['-l', target]));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'c5-doctor-storage-'));
  dirs.push(dir);
  return dir;
}

/** A tmpfs of `sizeKb`, read-only when asked (needs root or CAP_SYS_ADMIN); null where mounting is not allowed. */
async function mountTmpfs(sizeKb: number, readOnly = false): Promise<string | null> {
  const target = tempDir();
  try {
    await exec('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k${readOnly ? ',ro' : ''}`, 'tmpfs', target]);
  } catch {
    return null; // not permitted here: the test skips (or, under CI, fails) on the null
  }
  mounts.push(target);
  return target;
}

/** The rows of a site whose outbox, audit and fleet folders are the ones given. */
async function storageRows(
  folders: { outbox: string; audit: string; state: string },
  thresholds?: { warnBytes: number; failBytes: number },
): Promise<Record<string, CheckOutcome>> {
  const context = doctorContext({
    sections: {
      outbox: { path: join(folders.outbox, 'outbox.sqlite') },
      audit: { dir: folders.audit, checkpointKeyFile: join(folders.audit, '..', 'key.pem') },
      fleet: { trustedKeysFile: '/nonexistent/keys.json', stateDir: folders.state },
    },
  });
  const rows: Record<string, CheckOutcome> = {};
  for (const check of storageChecks(context, thresholds)) rows[check.id] = await check.run(new AbortController().signal);
  return rows;
}

describe('state folder rows', () => {
  it('pass writable folders, existing or still to be made, and leave no probe file behind', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'outbox'));
    const rows = await storageRows({ outbox: join(dir, 'outbox'), audit: join(dir, 'audit'), state: join(dir, 'deep', 'state') });
    expect(Object.keys(rows)).toEqual(['storage:outbox', 'storage:audit', 'storage:checkpoint-key', 'storage:fleet-state']);
    expect(rows['storage:outbox']).toMatchObject({
      status: 'pass',
      reason: expect.stringMatching(new RegExp(`^${join(dir, 'outbox')}: writable, `)) as unknown,
    });
    expect(rows['storage:fleet-state']?.reason).toMatch(new RegExp(`^${join(dir, 'deep', 'state')} \\(to be created in ${dir}\\): writable`));
    expect(readdirSync(dir).sort()).toEqual(['outbox']);
    expect(readdirSync(join(dir, 'outbox'))).toEqual([]);
  });

  it('warn and fail by free space against the thresholds', async () => {
    const dir = tempDir();
    const folders = { outbox: dir, audit: dir, state: dir };
    const huge = Number.MAX_SAFE_INTEGER;
    expect((await storageRows(folders, { warnBytes: huge, failBytes: 0 }))['storage:audit']?.status).toBe('warn');
    expect((await storageRows(folders, { warnBytes: huge, failBytes: huge }))['storage:audit']?.status).toBe('fail');
  });

  it('fail a read-only volume as not writable', async (ctx) => {
    const volume = await mountTmpfs(512, true);
    requirePrerequisite(ctx, volume, 'mounting a tmpfs is not permitted here (it needs root or CAP_SYS_ADMIN)');
    const dir = tempDir();
    const rows = await storageRows({ outbox: dir, audit: join(volume, 'audit'), state: dir });
    expect(rows['storage:audit']).toEqual({
      status: 'fail',
      reason: `${join(volume, 'audit')} (to be created in ${volume}): not writable (read-only file system)`,
    });
    expect(rows['storage:outbox']?.status).toBe('pass');
  });

  it('fail a writable volume with almost no room, with the default thresholds', async (ctx) => {
    const volume = await mountTmpfs(512);
    requirePrerequisite(ctx, volume, 'mounting a size-limited tmpfs is not permitted here (it needs root or CAP_SYS_ADMIN)');
    const rows = await storageRows({ outbox: volume, audit: volume, state: volume });
    // 512 KiB of tmpfs, less than the 100 MiB under which the agent is about to stop storing
    expect(rows['storage:outbox']).toEqual({ status: 'fail', reason: `${volume}: writable, but only 512 KiB free (under 100 MiB)` });
  });
});
