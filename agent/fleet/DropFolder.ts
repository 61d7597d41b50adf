import { mkdirSync } from 'node:fs';
import { open, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { toError } from '../../pipelines/errors.js';
import type { Clock, Timer } from '../clock.js';
import type { Logger } from '../observe/logger.js';

export interface DropFolderDeps {
  readonly dir: string;
  /** read at most this many bytes and one more, so an oversized file is seen as such without reading it all */
  readonly maxBytes: () => number;
  /** handles one envelope; resolves with the suffix the file is renamed to (`applied`, `rejected`, ...), or undefined to leave it */
  readonly handle: (bytes: Buffer, name: string) => Promise<string | undefined>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** default 2 s */
  readonly pollMs?: number;
}

const DEFAULT_POLL_MS = 2_000;

/**
 * A local folder for envelopes that arrive without the broker (a USB stick, scp). Every `*.json`
 * file is handled once, oldest name first, then renamed `NAME.json.<status>` so the operator sees
 * the outcome and it is never handled again. Write files under another name and rename them to
 * `.json` when complete. Polled rather than watched: fs.watch misses events on some filesystems,
 * and a push is not latency-critical.
 */
export class DropFolder {
  private readonly deps: DropFolderDeps;
  private timer: Timer | undefined;
  private scanning: Promise<void> | undefined;
  private stopped = false;

  constructor(deps: DropFolderDeps) {
    this.deps = deps;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    mkdirSync(this.deps.dir, { recursive: true, mode: 0o700 });
    this.timer = this.deps.clock.setInterval(() => void this.scan(), this.deps.pollMs ?? DEFAULT_POLL_MS);
    void this.scan();
  }

  /** Idempotent; waits for a file being handled. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.scanning;
  }

  /** One pass over the folder; overlapping calls share the pass in progress. */
  scan(): Promise<void> {
    this.scanning ??= this.scanOnce().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.deps.dir)).filter((name) => name.endsWith('.json')).sort();
    } catch (error) {
      this.deps.logger.warn({ dir: this.deps.dir, err: toError(error) }, 'cannot read the config drop folder');
      return;
    }
    for (const name of names) {
      if (this.stopped) return;
      const path = join(this.deps.dir, name);
      try {
        const bytes = await readAtMost(path, this.deps.maxBytes() + 1);
        const status = await this.deps.handle(bytes, name);
        if (status !== undefined) await rename(path, `${path}.${status}`);
      } catch (error) {
        // Left in place: the next pass tries again (a file still being copied, a full disk).
        this.deps.logger.warn({ file: path, err: toError(error) }, 'config drop file not handled');
      }
    }
  }
}

async function readAtMost(path: string, limit: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(limit);
    let length = 0;
    while (length < limit) {
      const { bytesRead } = await file.read(buffer, length, limit - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } finally {
    await file.close();
  }
}
