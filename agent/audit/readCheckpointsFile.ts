import { auditCheckpointSchema, type AuditCheckpoint } from '../../pipelines/auditCheckpoint.js';
import { formatIssues } from '../../pipelines/config/formatIssues.js';
import { ObserveError } from '../../pipelines/errors.js';
import { quoteUntrusted } from '../../pipelines/untrustedText.js';
import { readBoundedFile } from '../config/readBoundedFile.js';

/** One checkpoint as the centre stored it, and where in its file. */
export interface StoredCheckpoint {
  readonly checkpoint: AuditCheckpoint;
  /** 1-based: the line of a JSON Lines file, the element of a JSON array */
  readonly entry: number;
}

/** About 400 bytes each: room for a checkpoint every minute for a century. */
export const MAX_CHECKPOINTS_FILE_BYTES = 64 * 1024 * 1024;

/**
 * The checkpoints a centre kept for one box: JSON Lines of the published messages (blank lines
 * skipped) or one JSON array of them. The file came from elsewhere: it is read only when it is a
 * regular file within the size bound, and an entry that is not a checkpoint fails the whole read
 * with its entry number and the fields that are wrong, echoing no more than formatIssues does.
 */
export function readCheckpointsFile(path: string): StoredCheckpoint[] {
  const text = readBounded(path);
  const trimmed = text.trimStart();
  const documents: { entry: number; text: string }[] = [];
  if (trimmed.startsWith('[')) {
    let array: unknown;
    try {
      array = JSON.parse(trimmed);
    } catch {
      throw new ObserveError('checkpoints_invalid', `${path}: starts with "[" but is not a JSON array`);
    }
    if (!Array.isArray(array)) throw new ObserveError('checkpoints_invalid', `${path}: starts with "[" but is not a JSON array`);
    return array.map((value, index) => ({ checkpoint: toCheckpoint(value, path, index + 1), entry: index + 1 }));
  }
  text.split('\n').forEach((line, index) => {
    if (line.trim() !== '') documents.push({ entry: index + 1, text: line });
  });
  if (documents.length === 0) throw new ObserveError('checkpoints_invalid', `${path} holds no checkpoints`);
  return documents.map(({ entry, text: line }) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ObserveError('checkpoints_invalid', `${path} line ${entry}: not JSON (starts ${quoteUntrusted(line.trim())})`);
    }
    return { checkpoint: toCheckpoint(value, path, entry), entry };
  });
}

function toCheckpoint(value: unknown, path: string, entry: number): AuditCheckpoint {
  const parsed = auditCheckpointSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ObserveError(
    'checkpoints_invalid',
    `${path} entry ${entry}: not a c5.audit-checkpoint.v1 (${formatIssues(parsed.error.issues, value).join('; ')})`,
  );
}

function readBounded(path: string): string {
  const read = readBoundedFile(path, MAX_CHECKPOINTS_FILE_BYTES);
  if (read.ok) return read.bytes.toString('utf8');
  throw new ObserveError('checkpoints_unreadable', `cannot read checkpoints file ${path} (${read.reason})`);
}
