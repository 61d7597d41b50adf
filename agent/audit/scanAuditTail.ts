import { join } from 'node:path';
import { describeTornLine, listAuditFiles, readRawLines, type TornLine } from './auditFiles.js';
import { parseAuditLine, type AuditRecord } from './auditRecord.js';

export interface AuditTail {
  /** the newest record that parses, where the chain continues from; none in an empty log */
  readonly last?: { readonly record: AuditRecord; readonly file: string; readonly line: number };
  /** lines after `last` that are not records (a write cut short by a crash or a full disk), oldest first */
  readonly torn: readonly TornLine[];
  /** the newest file, when its final line has no newline: it must be ended before anything follows */
  readonly unterminated?: string;
  readonly newestFile?: string;
}

/**
 * Where an existing log leaves off. Reads the newest file (and older ones only while the newer
 * hold no record at all), so start-up costs one day's file at most.
 */
export function scanAuditTail(dir: string): AuditTail {
  const files = listAuditFiles(dir);
  const newestFile = files[files.length - 1];
  let torn: TornLine[] = [];
  let unterminated: string | undefined;
  for (let i = files.length - 1; i >= 0; i -= 1) {
    const file = files[i]!;
    let last: AuditTail['last'];
    let tornHere: TornLine[] = [];
    for (const raw of readRawLines(join(dir, file))) {
      if (!raw.terminated && file === newestFile) unterminated = file;
      const parsed = parseAuditLine(raw.bytes);
      if (parsed.ok) {
        last = { record: parsed.record, file, line: raw.line };
        tornHere = [];
      } else {
        tornHere.push(describeTornLine(file, raw));
      }
    }
    torn = [...tornHere, ...torn];
    if (last) return { last, torn, unterminated, newestFile };
  }
  return { torn, unterminated, newestFile };
}
