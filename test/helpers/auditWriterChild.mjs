// Appends audit records as fast as it can until killed; run by the kill -9 test against the
// built code (dist/). argv: DIR. Prints "ready" once records are flowing and fsync batches run.
import { setImmediate as yieldToTimers } from 'node:timers/promises';
import { systemClock } from '../../dist/agent/clock.js';
import { AuditLog } from '../../dist/agent/audit/AuditLog.js';
import { createRootLogger } from '../../dist/agent/observe/logger.js';

const log = AuditLog.open({ dir: process.argv[2], fsyncIntervalMs: 20, clock: systemClock, logger: createRootLogger({ level: 'silent' }) });
for (let n = 1; ; n += 1) {
  log.append({ type: 'sample', n, padding: 'x'.repeat(n % 300) });
  if (n === 2000) process.stdout.write('ready\n');
  if (n % 50 === 0) await yieldToTimers();
}
