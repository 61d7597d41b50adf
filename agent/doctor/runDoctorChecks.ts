import { toError } from '../../pipelines/errors.js';
import { fail, type CheckOutcome, type DoctorCheck, type DoctorResult } from './DoctorCheck.js';

/** Checks run side by side: enough to overlap the waits on cameras and brokers, few enough for a 2-core box. */
export const DEFAULT_DOCTOR_CONCURRENCY = 4;

/**
 * Runs the checks, at most `concurrency` at a time, each under its own time limit: past it the
 * check's signal aborts (it kills what it started) and its row fails at once, without waiting for
 * it. So the whole run takes at most about ceil(checks / concurrency) times the longest limit.
 * Rows come back in the order of `checks`, whatever order they finish in.
 */
export async function runDoctorChecks(checks: readonly DoctorCheck[], concurrency: number = DEFAULT_DOCTOR_CONCURRENCY): Promise<DoctorResult[]> {
  const results: DoctorResult[] = new Array<DoctorResult>(checks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < checks.length) {
      const index = next;
      next += 1;
      const check = checks[index]!;
      const outcome = await runOne(check);
      results[index] = { id: check.id, title: check.title, ...outcome };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, checks.length)) }, () => worker()));
  return results;
}

async function runOne(check: DoctorCheck): Promise<CheckOutcome> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error('time limit'));
      resolve(fail(`no answer within ${formatSeconds(check.timeoutMs)} (the check's time limit)`));
    }, check.timeoutMs);
  });
  const ran = check.run(controller.signal).catch((error: unknown) => fail(`check failed unexpectedly: ${toError(error).message.split('\n')[0] ?? ''}`));
  try {
    return await Promise.race([ran, timedOut]);
  } finally {
    clearTimeout(timer);
    // A check that finished still gets its signal aborted, so any helper it left running stops too.
    if (!controller.signal.aborted) controller.abort(new Error('check finished'));
  }
}

export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
