import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_SECRET_FILE_BYTES, resolveSecret } from '../../../../agent/config/resolveSecret.js';
import { configRejection } from '../../../helpers/configRejection.js';

const dir = mkdtempSync(join(tmpdir(), 'c5-secret-'));

describe('resolveSecret', () => {
  it('reads env:, file: (trailing newline trimmed) and literals', () => {
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    expect(resolveSecret(`file:${join(dir, 'pw')}`, 'mqtt.password', {})).toBe('s3cret');
    expect(resolveSecret('env:PW', 'mqtt.password', { PW: 'from-env' })).toBe('from-env');
    expect(resolveSecret('literal', 'mqtt.password', {})).toBe('literal');
  });

  it('accepts a symlink to a regular file, as Kubernetes mounts secrets', () => {
    const target = join(dir, '..data-pw');
    writeFileSync(target, 'mounted-pw');
    const link = join(dir, 'linked-pw');
    symlinkSync(target, link);
    expect(resolveSecret(`file:${link}`, 'cameras[0].source.url', {})).toBe('mounted-pw');
  });

  it('refuses a FIFO at once instead of waiting for a writer', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // a blocking open would never return (no writer): the test would hang, not fail
    const error = configRejection(() => resolveSecret(`file:${fifo}`, 'mqtt.password', {}));
    expect(error.code).toBe('secret_unresolved');
    expect(error.message).toBe(`mqtt.password: cannot read secret file "${fifo}" (not a regular file but a FIFO)`);
  });

  it('refuses a device instead of reading it without end', () => {
    for (const device of ['/dev/zero', '/dev/urandom']) {
      const error = configRejection(() => resolveSecret(`file:${device}`, 'mqtt.password', {}));
      expect(error.message).toBe(`mqtt.password: cannot read secret file "${device}" (not a regular file but a character device)`);
    }
    expect(configRejection(() => resolveSecret(`file:${dir}`, 'mqtt.password', {})).message).toContain('(not a regular file but a directory)');
  });

  it('refuses a file over 64 KiB and accepts one of exactly 64 KiB', () => {
    expect(MAX_SECRET_FILE_BYTES).toBe(65_536);
    const big = join(dir, 'big');
    writeFileSync(big, 'x'.repeat(65_537));
    expect(configRejection(() => resolveSecret(`file:${big}`, 'metrics.auth.bearerToken', {})).message).toBe(
      `metrics.auth.bearerToken: cannot read secret file "${big}" (65537 bytes, over the limit of 65536)`,
    );
    const edge = join(dir, 'edge');
    writeFileSync(edge, 'y'.repeat(65_536));
    expect(resolveSecret(`file:${edge}`, 'metrics.auth.bearerToken', {})).toHaveLength(65_536);
  });

  it('names the config path and the reference, never a value', () => {
    expect(configRejection(() => resolveSecret('file:/nonexistent/pw', 'mqtt.password', {})).message).toBe(
      'mqtt.password: cannot read secret file "/nonexistent/pw" (ENOENT)',
    );
    const odd = configRejection(() => resolveSecret('env:BAD\nNAME', 'mqtt.password', { OTHER: 'value-never-shown' }));
    expect(odd.message).toBe('mqtt.password: environment variable "BAD\\nNAME" is not set (from "env:BAD\\nNAME")');
  });
});
