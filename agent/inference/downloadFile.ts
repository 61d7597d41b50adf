import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { ModelError } from '../../pipelines/errors.js';
import { redactUrl } from '../observe/logger.js';

/** Where progress goes: stderr by default; `isTTY` picks the in-place bar over plain lines. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

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
}

export interface DownloadedFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

const MB = 1024 * 1024;
const mb = (bytes: number): string => (bytes / MB).toFixed(1);

/**
 * A TTY gets one line rewritten in place; a log file or CI gets a line every 10 % (or every
 * 10 MB when the server sends no length), so it is readable and not flooded.
 */
export class ProgressReporter {
  private lastShown = -1;

  constructor(
    private readonly stream: ProgressStream | null,
    private readonly label: string,
    private readonly total: number | null,
  ) {}

  update(received: number): void {
    if (this.stream === null) return;
    const tty = this.stream.isTTY === true;
    if (this.total !== null && this.total > 0) {
      const percent = Math.min(100, Math.floor((received / this.total) * 100));
      const step = tty ? percent : Math.floor(percent / 10) * 10;
      if (step === this.lastShown) return;
      this.lastShown = step;
      const text = `${this.label}: ${step}% (${mb(received)} / ${mb(this.total)} MB)`;
      this.stream.write(tty ? `\r${text}` : `${text}\n`);
    } else {
      const step = Math.floor(received / (tty ? MB : 10 * MB));
      if (step === this.lastShown) return;
      this.lastShown = step;
      const text = `${this.label}: ${mb(received)} MB`;
      this.stream.write(tty ? `\r${text}` : `${text}\n`);
    }
  }

  /** Ends the in-place line so whatever is printed next starts on its own line. */
  finish(): void {
    if (this.stream?.isTTY === true && this.lastShown !== -1) this.stream.write('\n');
  }
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
  const progress = new ProgressReporter(options.progress === undefined ? process.stderr : options.progress, options.label ?? basename(dest), total);
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
      throw new ModelError('download_failed', `download of ${shownUrl} failed after ${received} bytes: ${String(error)}`, {
        cause: error,
      });
    } finally {
      progress.finish();
    }
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
