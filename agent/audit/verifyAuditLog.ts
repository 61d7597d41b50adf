import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ObserveError } from '../../pipelines/errors.js';
import { CHECKPOINT_FILE, describeTornLine, listAuditFiles, readCheckpoint, readRawLines, type Checkpoint, type TornLine } from './auditFiles.js';
import { expectedHash, GENESIS, parseAuditLine, type AuditRecord, type AuditRef } from './auditRecord.js';

/** `rewritten`: the chain holds, but a record differs from what a signed checkpoint says it was. */
export type AuditBreakKind = 'edited' | 'removed' | 'reordered' | 'truncated' | 'rewritten';

export interface AuditBreak {
  readonly file: string;
  readonly line: number;
  /** absent when the broken line is not a record at all */
  readonly seq?: number;
  readonly kind: AuditBreakKind;
  readonly detail: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  /** records that verified, up to the break when there is one */
  readonly records: number;
  readonly files: number;
  readonly last: AuditRef;
  readonly broken?: AuditBreak;
  /** incidents the log itself recorded (sealed partial lines, lost records), and checkpoint remarks */
  readonly notes: readonly string[];
  /** set by `--checkpoints`: how much of the log signed checkpoints from outside the box vouch for */
  readonly anchor?: AuditAnchor;
}

export interface AuditAnchor {
  readonly checkpoints: number;
  readonly keyId: string;
  /** the newest checkpoint the log agrees with; records after it are not anchored yet */
  readonly newest?: { readonly seq: number; readonly time: string };
}

/** Where a record that verified sits; verifyAuditLog hands each one to its visitor. */
export interface AuditRecordPlace {
  readonly file: string;
  readonly line: number;
}

interface Pending {
  readonly torn: TornLine;
  readonly terminated: boolean;
  readonly problem: string;
}

/**
 * Walks every file in order and checks each line is a canonical record whose hash matches its
 * content, whose seq is one more than the last, and whose prevHash is the last record's hash.
 * A line that is not a record is accepted only when the record after it is `audit_recovered`
 * and names it (file, line, length, sha256): the writer left it when a crash cut a write short.
 * A partial last line with nothing after it is reported as `truncated`; so is a log that ends
 * before the record the checkpoint file says was synced.
 */
export function verifyAuditLog(dir: string, visit?: (record: AuditRecord, place: AuditRecordPlace) => void): AuditVerification {
  const files = auditFilesIn(dir);
  const read = readCheckpoint(dir);
  const checkpoint = read.found && 'checkpoint' in read ? read.checkpoint : undefined;
  const notes: string[] = [];
  if (!read.found) notes.push(`no ${CHECKPOINT_FILE}: records cut off the end at a line boundary would go unnoticed`);
  else if ('problem' in read) notes.push(`${read.problem}: records cut off the end at a line boundary would go unnoticed`);

  let previous: AuditRef = GENESIS;
  let records = 0;
  let pending: Pending[] = [];
  let lastPlace = { file: files[files.length - 1]!, line: 0 };
  const acknowledgedMissing = new Set<number>();
  const result = (broken?: AuditBreak): AuditVerification => ({ ok: !broken, records, files: files.length, last: previous, broken, notes });

  for (const [index, file] of files.entries()) {
    for (const raw of readRawLines(join(dir, file))) {
      lastPlace = { file, line: raw.line };
      const parsed = parseAuditLine(raw.bytes);
      if (!parsed.ok) {
        pending.push({ torn: describeTornLine(file, raw), terminated: raw.terminated, problem: parsed.problem });
        continue;
      }
      const record = parsed.record;
      const at = { file, line: raw.line, seq: record.seq };
      if (pending.length > 0) {
        const first = pending[0]!;
        if (!vouchesFor(record, pending)) {
          return result({ file: first.torn.file, line: first.torn.line, kind: 'edited', detail: `not a valid audit record: ${first.problem}` });
        }
        for (const p of pending)
          notes.push(`${p.torn.file} line ${p.torn.line}: partial line (${p.torn.bytes} bytes) from an interrupted write, sealed by seq ${record.seq}`);
        pending = [];
      }
      if (expectedHash(record) !== record.hash) return result({ ...at, kind: 'edited', detail: "the record's content does not match its hash" });
      if (record.seq !== previous.seq + 1) return result({ ...at, ...classifySeqJump(dir, files, index, raw.line, previous.seq + 1, record.seq) });
      if (record.prevHash !== previous.hash) {
        return result({ ...at, kind: 'edited', detail: `prevHash is not the hash of seq ${previous.seq}: this record or the one before it was rewritten` });
      }
      if (checkpoint && record.seq === checkpoint.seq && record.hash !== checkpoint.hash) {
        return result({
          ...at,
          kind: 'edited',
          detail: `differs from the record ${CHECKPOINT_FILE} says was synced (hash ${checkpoint.hash.slice(0, 12)}...)`,
        });
      }
      noteIncident(record, notes, acknowledgedMissing);
      visit?.(record, { file, line: raw.line });
      previous = { seq: record.seq, hash: record.hash };
      records += 1;
    }
  }
  if (pending.length > 0) {
    const first = pending[0]!;
    const place = { file: first.torn.file, line: first.torn.line };
    if (!pending[pending.length - 1]!.terminated) {
      return result({
        ...place,
        kind: 'truncated',
        detail:
          `the log ends inside a record (${pending.map((p) => p.torn.bytes).join(' + ')} bytes without a newline): ` +
          `a crash while writing, or a cut file; records up to seq ${previous.seq} verify, and the agent seals the line when it next starts`,
      });
    }
    return result({ ...place, kind: 'edited', detail: `not a valid audit record: ${first.problem}` });
  }
  if (checkpoint && previous.seq < checkpoint.seq && !acknowledgedMissing.has(checkpoint.seq)) {
    return result({
      file: lastPlace.file,
      line: lastPlace.line + 1,
      seq: previous.seq + 1,
      kind: 'truncated',
      detail: `the log ends at seq ${previous.seq}, but ${CHECKPOINT_FILE} says seq ${checkpoint.seq} (in ${checkpoint.file}) was synced: records are missing from the end`,
    });
  }
  return result();
}

/** `OK: ...` or `BROKEN: ...`, then one line per note. */
export function formatVerification(result: AuditVerification): string {
  const lines: string[] = [];
  if (result.broken) {
    const b = result.broken;
    const seq = b.seq === undefined ? '' : `, seq ${b.seq}`;
    lines.push(`BROKEN: ${b.file} line ${b.line}${seq}: ${b.kind}: ${b.detail}`);
    lines.push(`(${result.records} record(s) before it verify, up to seq ${result.last.seq})`);
  } else {
    lines.push(`OK: ${result.records} records in ${result.files} files, last seq ${result.last.seq}`);
  }
  const anchor = result.anchor;
  if (anchor?.newest) {
    const after = result.last.seq - anchor.newest.seq;
    const unanchored = after > 0 ? `; the ${after} record(s) after it are not anchored yet` : '';
    lines.push(
      `anchored: ${anchor.checkpoints} checkpoint(s) signed by ${anchor.keyId} match the log, the newest at seq ${anchor.newest.seq} (${anchor.newest.time})${unanchored}`,
    );
  }
  for (const note of result.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

export function auditFilesIn(dir: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (error) {
    throw new ObserveError('audit_dir_missing', `audit log folder ${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!isDir) throw new ObserveError('audit_dir_missing', `${dir} is not a folder`);
  const files = listAuditFiles(dir);
  if (files.length === 0) throw new ObserveError('audit_empty', `no audit log files (audit-YYYY-MM-DD.jsonl) in ${dir}`);
  return files;
}

function vouchesFor(record: AuditRecord, pending: readonly Pending[]): boolean {
  const named = record['torn'];
  if (record.type !== 'audit_recovered' || !Array.isArray(named) || named.length !== pending.length) return false;
  return pending.every(({ torn }, i) => {
    const n = named[i] as Partial<TornLine> | undefined;
    return n?.file === torn.file && n.line === torn.line && n.bytes === torn.bytes && n.sha256 === torn.sha256;
  });
}

function noteIncident(record: AuditRecord, notes: string[], acknowledgedMissing: Set<number>): void {
  if (record.type !== 'audit_recovered') return;
  const lost = record['lost'];
  if (typeof lost === 'number' && lost > 0) notes.push(`seq ${record.seq}: ${lost} record(s) could not be written before it (the disk failed)`);
  const missing = record['missingUpTo'] as Partial<Checkpoint> | undefined;
  if (missing && typeof missing.seq === 'number') {
    acknowledgedMissing.add(missing.seq);
    notes.push(`seq ${record.seq}: at start-up the log ended before seq ${missing.seq}, which had been synced: records were cut off the end`);
  }
}

/** A seq that is not the next one: a later one means records are gone, unless the expected one turns up further on. */
function classifySeqJump(
  dir: string,
  files: readonly string[],
  fileIndex: number,
  line: number,
  expected: number,
  found: number,
): { kind: AuditBreakKind; detail: string } {
  if (found < expected) return { kind: 'reordered', detail: `expected seq ${expected}, found seq ${found} again or out of order` };
  const later = findSeq(dir, files, fileIndex, line, expected);
  if (later)
    return { kind: 'reordered', detail: `expected seq ${expected}, found seq ${found}; seq ${expected} comes later, at ${later.file} line ${later.line}` };
  const gap = found - expected === 1 ? `seq ${expected} is` : `seqs ${expected}..${found - 1} are`;
  return { kind: 'removed', detail: `expected seq ${expected}, found seq ${found}: ${gap} missing` };
}

function findSeq(dir: string, files: readonly string[], fileIndex: number, afterLine: number, seq: number): { file: string; line: number } | undefined {
  for (let i = fileIndex; i < files.length; i += 1) {
    for (const raw of readRawLines(join(dir, files[i]!))) {
      if (i === fileIndex && raw.line <= afterLine) continue;
      const parsed = parseAuditLine(raw.bytes);
      if (parsed.ok && parsed.record.seq === seq) return { file: files[i]!, line: raw.line };
    }
  }
  return undefined;
}
