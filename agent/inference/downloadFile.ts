import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { ModelError } from '../../pipelines/errors.js';
import { systemClock, type Clock } from '../clock.js';
import { redactUrl } from '../observe/logger.js';
import { ProgressReporter, type ProgressStream } from '../observe/ProgressReporter.js';

export interface DownloadFileOptions {
  readonly url: string;
  /** final path; written only once the digest matched */
  readonly dest: string;
  /** the download is kept only if its SHA-256 is one of these */
  readonly acceptedSha256: readonly string[];
  /** default process.stderr; null for no progress output */
  readonly progress?: ProgressStream | null;
  /** shown in the progress output; default the destination's file name */
  readonly label?: string;
  readonly signal?: AbortSignal;
  /** injectable for tests; default global fetch */
  readonly fetch?: typeof fetch;
  /** times the progress rate and ETA; default the system clock */
  readonly clock?: Clock;
}

export interface DownloadedFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * Downloads `url` (redirects followed) to a temporary file beside `dest`, verifies its SHA-256,
 * and only then renames it into place, so `dest` is either absent, the old file, or a complete
 * verified one, never a partial or unverified download.
 */
export async function downloadFile(options: DownloadFileOptions): Promise<DownloadedFile> {
  const { url, dest, acceptedSha256 } = options;
  const shownUrl = redactUrl(url);
  const fetchImpl = options.fetch ?? fetch;
  await mkdir(dirname(dest), { recursive: true });
  const temp = join(dirname(dest), `.${basename(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.part`);

  let response: Response;
  try {
    response = await fetchImpl(url, { redirect: 'follow', signal: options.signal ?? null });
  } catch (error) {
    throw new ModelError('download_failed', `download of ${shownUrl} failed: ${String(error)}`, { cause: error });
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new ModelError('download_failed', `download of ${shownUrl} failed: HTTP ${response.status} ${response.statusText}`.trimEnd());
  }

  const lengthHeader = Number(response.headers.get('content-length'));
  const total = Number.isFinite(lengthHeader) && lengthHeader > 0 ? lengthHeader : null;
  const progress = new ProgressReporter({
    stream: options.progress === undefined ? process.stderr : options.progress,
    label: options.label ?? basename(dest),
    unit: 'bytes',
    total,
    clock: options.clock ?? systemClock,
  });
  const hash = createHash('sha256');
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      received += chunk.length;
      progress.update(received);
      callback(null, chunk);
    },
  });

  try {
    try {
      await pipeline(
        Readable.fromWeb(response.body as unknown as NodeReadableStream<Uint8Array>),
        meter,
        createWriteStream(temp, { flags: 'wx' }),
        ...(options.signal ? [{ signal: options.signal }] : []),
      );
    } catch (error) {
      progress.abandon();
      throw new ModelError('download_failed', `download of ${shownUrl} failed after ${received} bytes: ${String(error)}`, {
        cause: error,
      });
    }
    progress.finish();
    const sha256 = hash.digest('hex');
    if (!acceptedSha256.includes(sha256)) {
      throw new ModelError(
        'digest_mismatch',
        `download of ${shownUrl} (${received} bytes) has sha256 ${sha256}, which is not an accepted digest ` +
          `(${acceptedSha256.join(', ')}); the file was discarded`,
      );
    }
    // Flush to disk before the rename so a power cut cannot leave a verified name on unwritten data.
    const handle = await open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, dest);
    return { path: dest, sha256, bytes: received };
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
