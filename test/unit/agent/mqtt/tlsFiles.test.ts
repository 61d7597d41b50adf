import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTlsMaterial } from '../../../../agent/mqtt/tlsFiles.js';
import { ConfigError } from '../../../../pipelines/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'c5-tlsfiles-'));
const pem = (name: string, body = 'MIIB...'): string => {
  const path = join(dir, name);
  writeFileSync(path, `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`);
  return path;
};

describe('readTlsMaterial', () => {
  it('reads the PEM files named in mqtt.tls and keeps the server name', () => {
    const material = readTlsMaterial({ ca: pem('ca.pem'), cert: pem('c.pem'), key: pem('c.key', 'secret-key-bytes'), serverName: 'broker.c5.example' });
    expect(material?.ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(material?.key?.toString()).toContain('secret-key-bytes');
    expect(material?.serverName).toBe('broker.c5.example');
    expect(readTlsMaterial(undefined)).toBeUndefined();
  });

  it('names the field and the path of a file it cannot use, never its content', () => {
    expect(() => readTlsMaterial({ cert: join(dir, 'missing.pem'), key: pem('k.key') })).toThrow(/^mqtt\.tls\.cert: cannot read .*missing\.pem \(ENOENT\)$/);
    const notPem = join(dir, 'key.der');
    writeFileSync(notPem, 'secret-key-bytes');
    try {
      readTlsMaterial({ cert: pem('c2.pem'), key: notPem });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ code: 'tls_file_invalid' });
      expect((error as Error).message).toBe(`mqtt.tls.key: ${notPem} is not a PEM file (no "-----BEGIN" line)`);
    }
  });
});
