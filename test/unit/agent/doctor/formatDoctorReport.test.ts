import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../../../../agent/doctor/DoctorCheck.js';
import { doctorReport, formatDoctorJson, formatDoctorTable } from '../../../../agent/doctor/formatDoctorReport.js';

const results: DoctorResult[] = [
  { id: 'config', title: 'config', status: 'pass', reason: 'site.yaml: site plaza, version 3, 1 camera' },
  { id: 'camera:gate', title: 'camera gate', status: 'fail', reason: 'unreachable: Connection refused', details: ['url: rtsp://REDACTED@10.0.0.9/s'] },
  { id: 'clock', title: 'clock in sync', status: 'warn', reason: 'cannot tell' },
];

describe('formatDoctorReport', () => {
  it('aligns status, check and reason in columns and ends with the counts', () => {
    expect(formatDoctorTable(doctorReport('site.yaml', results))).toBe(
      [
        'STATUS  CHECK          REASON',
        'pass    config         site.yaml: site plaza, version 3, 1 camera',
        'FAIL    camera gate    unreachable: Connection refused',
        'WARN    clock in sync  cannot tell',
        '',
        'doctor FAILED: 3 checks, 1 passed, 1 warning, 1 failed',
        '',
      ].join('\n'),
    );
  });

  it('says "passed with warnings" when only warnings are left, and "passed" when nothing is', () => {
    expect(formatDoctorTable(doctorReport('s', [results[0]!, results[2]!]))).toContain('doctor passed with warnings: 2 checks, 1 passed, 1 warning, 0 failed');
    expect(formatDoctorTable(doctorReport('s', [results[0]!]))).toContain('doctor passed: 1 checks, 1 passed, 0 warnings, 0 failed');
  });

  it('keeps a reason on its row: control characters from a camera or broker are escaped, long text is cut', () => {
    const hostile: DoctorResult = { id: 'x', title: 'x', status: 'fail', reason: `refused\nFAIL    forged row\u001b[2J${'y'.repeat(1000)}` };
    const table = formatDoctorTable(doctorReport('s', [hostile]));
    const lines = table.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[1]).toContain('refused\\u000aFAIL    forged row\\u001b[2J');
    expect(lines[1]!.length).toBeLessThan(420);
  });

  it('--json carries every row, its details and the verdict', () => {
    const parsed = JSON.parse(formatDoctorJson(doctorReport('site.yaml', results))) as unknown;
    expect(parsed).toEqual({ schema: 'c5.doctor.v1', config: 'site.yaml', ok: false, summary: { pass: 1, warn: 1, fail: 1 }, results });
  });
});
