/** What `c5-agent doctor` checks and reports: one row per check. */

export const DOCTOR_STATUSES = ['pass', 'warn', 'fail'] as const;
export type DoctorStatus = (typeof DOCTOR_STATUSES)[number];

/** The check families, as `--only` and `--skip` name them. */
export const CHECK_FAMILIES = ['ffmpeg', 'hwdecode', 'models', 'cameras', 'brokers', 'storage', 'clock', 'metrics'] as const;
export type CheckFamily = (typeof CHECK_FAMILIES)[number];

/** A check's verdict: one line for the table, more lines only in `details`. */
export interface CheckOutcome {
  readonly status: DoctorStatus;
  /** one line, no secret: camera and broker URLs redacted, resolved secrets never included */
  readonly reason: string;
  readonly details?: readonly string[];
}

/** One row of the report. */
export interface DoctorResult extends CheckOutcome {
  /** stable and machine-readable, e.g. `camera:gate`, `broker:1`, `storage:outbox` */
  readonly id: string;
  readonly title: string;
}

/** One check to run: it must give up when `signal` aborts (its time limit passed), killing any child it started. */
export interface DoctorCheck {
  readonly id: string;
  readonly title: string;
  readonly family: CheckFamily;
  readonly timeoutMs: number;
  run(signal: AbortSignal): Promise<CheckOutcome>;
}

export const pass = (reason: string, details?: readonly string[]): CheckOutcome => ({ status: 'pass', reason, ...(details ? { details } : {}) });
export const warn = (reason: string, details?: readonly string[]): CheckOutcome => ({ status: 'warn', reason, ...(details ? { details } : {}) });
export const fail = (reason: string, details?: readonly string[]): CheckOutcome => ({ status: 'fail', reason, ...(details ? { details } : {}) });
