import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateCheckpointKey } from '../../../../agent/audit/checkpointKey.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { checkpointKeyFileFrom } from '../../../../pipelines/config/auditSchema.js';
import { tempAuditDir } from '../../../helpers/auditLog.js';

const logger = createRootLogger({ level: 'silent' });

describe('the box checkpoint key', () => {
  it('is made on first start, mode 0600, in a folder it creates, and loaded unchanged afterwards', () => {
    const path = join(tempAuditDir(), 'state', 'checkpoint.pem');
    const made = loadOrCreateCheckpointKey(path, logger);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const loaded = loadOrCreateCheckpointKey(path, logger);
    expect(loaded.keyId).toBe(made.keyId);
    expect(loaded.publicKey).toBe(made.publicKey);
    expect(made.keyId).toMatch(/^ed25519-[0-9a-f]{16}$/);
  });

  it('defaults beside the audit folder, never inside it', () => {
    const settings = { fsyncIntervalMs: 1000, checkpointIntervalSeconds: 300 };
    expect(checkpointKeyFileFrom({ ...settings, dir: '/var/lib/c5-agent/audit' }, {})).toBe('/var/lib/c5-agent/audit-checkpoint-key.pem');
    expect(checkpointKeyFileFrom({ ...settings, dir: '/data/audit/' }, {})).toBe('/data/audit-checkpoint-key.pem');
    expect(checkpointKeyFileFrom(settings, { C5_AUDIT_DIR: '/srv/log' })).toBe('/srv/log-checkpoint-key.pem');
    expect(checkpointKeyFileFrom({ ...settings, checkpointKeyFile: '/etc/c5/k.pem' }, {})).toBe('/etc/c5/k.pem');
  });

  it('refuses a key file others can read, naming the fix', () => {
    const path = join(tempAuditDir(), 'k.pem');
    loadOrCreateCheckpointKey(path, logger);
    chmodSync(path, 0o644);
    expect(() => loadOrCreateCheckpointKey(path, logger)).toThrow(`audit checkpoint key ${path} is readable by others (mode 644); chmod 600 it`);
  });

  it('refuses a FIFO at once instead of waiting for a writer, and a file that is not a key', () => {
    const dir = tempAuditDir();
    const fifo = join(dir, 'fifo.pem');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    expect(() => loadOrCreateCheckpointKey(fifo, logger)).toThrow(`audit checkpoint key ${fifo} is not a regular file`);

    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a key\n', { mode: 0o600 });
    expect(() => loadOrCreateCheckpointKey(junk, logger)).toThrow(/^audit checkpoint key .*junk\.pem: .*not a PEM private key/);
  });
});
