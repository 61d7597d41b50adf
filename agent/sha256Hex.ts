import { createHash } from 'node:crypto';

/**
 * SHA-256 of bytes or a string (UTF-8), lowercase hex: the one helper for everything held in
 * memory (config payloads, audit records, key fingerprints). Files are hashed as a stream by
 * `inference/sha256File.ts` instead, since model weights can be hundreds of MB.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
