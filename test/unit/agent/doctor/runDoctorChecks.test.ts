import { describe, expect, it } from 'vitest';
import { fail, pass, warn, type CheckOutcome, type DoctorCheck } from '../../../../agent/doctor/DoctorCheck.js';
import { runDoctorChecks } from '../../../../agent/doctor/runDoctorChecks.js';

/** A promise resolved from outside (Node 20 has no Promise.withResolvers). */
function gate(): { promise: Promise<CheckOutcome>; resolve: (outcome: CheckOutcome) => void } {
  let resolve!: (outcome: CheckOutcome) => void;
  const promise = new Promise<CheckOutcome>((r) => (resolve = r));
  return { promise, resolve };
}

function check(id: string, run: (signal: AbortSignal) => Promise<CheckOutcome>, timeoutMs = 5_000): DoctorCheck {
  return { id, title: `check ${id}`, family: 'clock', timeoutMs, run };
}

describe('runDoctorChecks', () => {
  it('returns the rows in the order of the checks, whatever order they finish in', async () => {
    const gates = [0, 1, 2].map(() => gate());
    const running = runDoctorChecks(gates.map((g, i) => check(String(i), () => g.promise)));
    gates[2]!.resolve(fail('third'));
    gates[0]!.resolve(pass('first'));
    gates[1]!.resolve(warn('second'));
    expect(await running).toEqual([
      { id: '0', title: 'check 0', status: 'pass', reason: 'first' },
      { id: '1', title: 'check 1', status: 'warn', reason: 'second' },
      { id: '2', title: 'check 2', status: 'fail', reason: 'third' },
    ]);
  });

  it('fails a check that outlives its time limit and aborts its signal, so what it started is stopped', async () => {
    let seen: AbortSignal | undefined;
    const rows = await runDoctorChecks([check('hang', (signal) => ((seen = signal), new Promise<CheckOutcome>(() => undefined)), 50)]);
    expect(rows).toEqual([{ id: 'hang', title: 'check hang', status: 'fail', reason: "no answer within 0.1 s (the check's time limit)" }]);
    expect(seen?.aborted).toBe(true);
  });

  it('turns a check that throws into a failing row instead of ending the run', async () => {
    const rows = await runDoctorChecks([
      check('boom', () => Promise.reject(new Error('disk on fire\nsecond line'))),
      check('ok', () => Promise.resolve(pass('fine'))),
    ]);
    expect(rows.map((row) => [row.status, row.reason])).toEqual([
      ['fail', 'check failed unexpectedly: disk on fire'],
      ['pass', 'fine'],
    ]);
  });

  it('runs at most `concurrency` checks at once', async () => {
    let active = 0;
    let peak = 0;
    const gates = Array.from({ length: 7 }, () => gate());
    const checks = gates.map((g, i) =>
      check(String(i), async () => {
        active += 1;
        peak = Math.max(peak, active);
        const outcome = await g.promise;
        active -= 1;
        return outcome;
      }),
    );
    const running = runDoctorChecks(checks, 3);
    for (const g of gates) {
      await new Promise((resolve) => setImmediate(resolve));
      g.resolve(pass('done'));
    }
    expect((await running).every((row) => row.status === 'pass')).toBe(true);
    expect(peak).toBe(3);
  });
});
