import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Streams the file through SHA-256 (weights can be hundreds of MB; never read whole just to hash). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}
