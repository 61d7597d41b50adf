import type { DoctorResult, DoctorStatus } from './DoctorCheck.js';

export interface DoctorSummary {
  readonly pass: number;
  readonly warn: number;
  readonly fail: number;
}

/** The `--json` document; `schema` names its shape for scripts. */
export interface DoctorReport {
  readonly schema: 'c5.doctor.v1';
  readonly config: string;
  /** no row failed (warnings allowed): the exit code is 0 */
  readonly ok: boolean;
  readonly summary: DoctorSummary;
  readonly results: readonly DoctorResult[];
}

/** A reason is one table cell: bounded, and nothing in it (a camera's or broker's words) can start a line or move the cursor. */
const MAX_REASON_CHARS = 400;

export function summarize(results: readonly DoctorResult[]): DoctorSummary {
  const count = (status: DoctorStatus): number => results.filter((result) => result.status === status).length;
  return { pass: count('pass'), warn: count('warn'), fail: count('fail') };
}

export function doctorReport(config: string, results: readonly DoctorResult[]): DoctorReport {
  const summary = summarize(results);
  return { schema: 'c5.doctor.v1', config, ok: summary.fail === 0, summary, results };
}

export function formatDoctorJson(report: DoctorReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * For people: one aligned row per check (status, check, reason), then a summary line.
 *
 *     STATUS  CHECK            REASON
 *     pass    config           site.yaml: site plaza, version 3, 2 cameras
 *     FAIL    camera gate      unreachable: ffprobe exited with code 1: ...: Connection refused
 */
export function formatDoctorTable(report: DoctorReport): string {
  const rows = report.results.map((result) => [statusCell(result.status), oneLine(result.title, 60), oneLine(result.reason, MAX_REASON_CHARS)] as const);
  const statusWidth = Math.max('STATUS'.length, ...rows.map((row) => row[0].length));
  const checkWidth = Math.max('CHECK'.length, ...rows.map((row) => row[1].length));
  const line = (status: string, check: string, reason: string): string => `${status.padEnd(statusWidth)}  ${check.padEnd(checkWidth)}  ${reason}`.trimEnd();
  const { pass, warn, fail } = report.summary;
  const verdict = fail > 0 ? 'FAILED' : warn > 0 ? 'passed with warnings' : 'passed';
  return [
    line('STATUS', 'CHECK', 'REASON'),
    ...rows.map((row) => line(...row)),
    '',
    `doctor ${verdict}: ${report.results.length} checks, ${pass} passed, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed`,
    '',
  ].join('\n');
}

/** Upper-case where someone has to act, so a failing row stands out in a long table. */
function statusCell(status: DoctorStatus): string {
  return status === 'pass' ? 'pass' : status.toUpperCase();
}

function oneLine(text: string, maxChars: number): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is being escaped
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > maxChars ? `${escaped.slice(0, maxChars - 1)}…` : escaped;
}
