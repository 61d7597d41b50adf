import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AgentError } from '../../../pipelines/errors.js';
import { MAX_CONFIG_FILE_BYTES } from '../../config/loadSiteConfig.js';
import { readBoundedFile } from '../../config/readBoundedFile.js';
import { sha256Hex } from '../../sha256Hex.js';

/**
 * `<state>/pushed/<sha256>.yaml`: every config text `fleet push` ever signed, named by the sha256
 * of its exact bytes, which is what a site reports as `running.sha256` in its config/state. So
 * `fleet plan` can diff against what a site runs, and `--resume` can sign the same bytes again.
 *
 * A file's name is its content's hash, so a write is never a replacement and a reader can always
 * tell a good file from a torn one: files are written without an fsync each (14,000 fsyncs would
 * take the better part of a minute) and every read checks the hash.
 */
export class PushedArchive {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'pushed');
  }

  /** Stores the text (unless it is there already) and returns its sha256. */
  put(text: string): string {
    const bytes = Buffer.from(text, 'utf8');
    const sha256 = sha256Hex(bytes);
    if (this.get(sha256) !== undefined) return sha256;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = this.pathOf(sha256);
    const temp = join(this.dir, `.${sha256}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      writeFileSync(temp, bytes, { mode: 0o600, flag: 'wx' });
      renameSync(temp, path);
    } catch (error) {
      rmSync(temp, { force: true });
      throw new AgentError('state_unwritable', `cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return sha256;
  }

  /** The archived text whose bytes hash to `sha256`; undefined when it is missing or not those bytes. */
  get(sha256: string): string | undefined {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    const read = readBoundedFile(this.pathOf(sha256), MAX_CONFIG_FILE_BYTES, { noFollow: true });
    if (!read.ok || sha256Hex(read.bytes) !== sha256) return undefined;
    return read.bytes.toString('utf8');
  }

  private pathOf(sha256: string): string {
    return join(this.dir, `${sha256}.yaml`);
  }
}
