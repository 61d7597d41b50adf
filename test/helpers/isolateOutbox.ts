import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Runs before every test file (vitest setupFiles): agents a test starts without naming an outbox
 * file get their own, through C5_OUTBOX_PATH, instead of /var/lib/c5-agent/outbox.sqlite, which
 * would be shared by every test (and every engineer's run) on the machine.
 */
const dir = mkdtempSync(join(tmpdir(), 'c5-test-outbox-'));
process.env['C5_OUTBOX_PATH'] = join(dir, 'outbox.sqlite');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
