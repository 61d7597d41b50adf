import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { toError } from '../../pipelines/errors.js';

export type BoundedRead =
  /** `mode`: the permission bits of the file read (a key file checks nobody else may read it) */
  | { readonly ok: true; readonly bytes: Buffer; readonly mode: number }
  /** `too_large`: over maxBytes; `not_regular`: a FIFO, device, socket or directory; `unreadable`: an errno */
  | { readonly ok: false; readonly problem: 'too_large' | 'not_regular' | 'unreadable'; readonly reason: string };

/**
 * Reads a regular file of at most `maxBytes`, without ever blocking or reading without end: the
 * open is non-blocking (a FIFO with no writer would otherwise hold the open, and with it the
 * event loop, /healthz and SIGTERM), the opened descriptor is fstat'ed (so what is checked is what
 * is read, not a path swapped after the check), and at most maxBytes + 1 bytes are ever read (a
 * file that grows after the fstat is still caught). Symlinks are followed (Kubernetes mounts
 * secrets and config maps as links to regular files) unless `noFollow` is set, for a file the
 * agent itself made in its state folder.
 */
export function readBoundedFile(path: string, maxBytes: number, options: { readonly noFollow?: boolean } = {}): BoundedRead {
  let fd: number;
  try {
    const noFollow = options.noFollow === true ? constants.O_NOFOLLOW : 0;
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | noFollow);
  } catch (error) {
    return { ok: false, problem: 'unreadable', reason: errnoOf(error) };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { ok: false, problem: 'not_regular', reason: `not a regular file but a ${kindOf(stats)}` };
    if (stats.size > maxBytes) return { ok: false, problem: 'too_large', reason: `${stats.size} bytes, over the limit of ${maxBytes}` };
    // One byte more than allowed: reading it proves the file grew past the limit after the fstat.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxBytes) return { ok: false, problem: 'too_large', reason: `grew while read, over the limit of ${maxBytes} bytes` };
    }
    return { ok: true, bytes: buffer.subarray(0, length), mode: stats.mode & 0o777 };
  } catch (error) {
    return { ok: false, problem: 'unreadable', reason: errnoOf(error) };
  } finally {
    closeSync(fd);
  }
}

function errnoOf(error: unknown): string {
  return (toError(error) as NodeJS.ErrnoException).code ?? toError(error).message;
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isSocket()) return 'socket';
  if (stats.isDirectory()) return 'directory';
  return 'special file';
}
