import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrustedKeys, MAX_TRUSTED_KEYS_FILE_BYTES } from '../../../../agent/fleet/trustedKeys.js';
import { createSigner, writeTrustedKeys } from '../../../helpers/fleetSigner.js';

const dir = mkdtempSync(join(tmpdir(), 'c5-trusted-keys-'));

describe('loadTrustedKeys', () => {
  it('reads the keys of a regular file', () => {
    const signer = createSigner('centre-a');
    const keys = loadTrustedKeys(writeTrustedKeys(join(dir, 'ok.json'), [signer]));
    expect([...keys.keys()]).toEqual(['centre-a']);
  });

  it('refuses a FIFO at once instead of waiting for a writer', () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    expect(() => loadTrustedKeys(fifo)).toThrow(/trusted keys file .*not a regular file but a FIFO/);
  });

  it('refuses a device and a file over the size limit', () => {
    expect(() => loadTrustedKeys('/dev/zero')).toThrow(/not a regular file but a character device/);
    const big = join(dir, 'big.json');
    writeFileSync(big, ' '.repeat(MAX_TRUSTED_KEYS_FILE_BYTES + 1));
    expect(() => loadTrustedKeys(big)).toThrow(/over the limit of 262144/);
  });
});
