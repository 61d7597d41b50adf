import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM files of one certificate, written by `openssl` into a test's temp dir. */
export interface CertificateFiles {
  readonly cert: string;
  readonly key: string;
}

export interface CertificateAuthority extends CertificateFiles {
  readonly name: string;
  readonly dir: string;
}

// P-256 keys: generated in milliseconds, unlike RSA, and every TLS stack here takes them.
const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 20_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr || String(error)}`, { cause: error });
  }
}

/** A self-signed CA in `dir` (files `{name}-ca.pem`, `{name}-ca.key`), valid for a day. */
export async function createCertificateAuthority(dir: string, name: string): Promise<CertificateAuthority> {
  const cert = join(dir, `${name}-ca.pem`);
  const key = join(dir, `${name}-ca.key`);
  await openssl(
    [
      'req',
      '-x509',
      ...KEY_ARGS,
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name} test CA`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { name, dir, cert, key };
}

/**
 * A certificate signed by `ca`: `{file}.pem` and `{file}.key`. `altNames` (`DNS:localhost`,
 * `IP:127.0.0.1`) make it a server certificate; without them it is a client certificate whose
 * CN is the identity Mosquitto's `use_identity_as_username` takes.
 */
export async function issueCertificate(
  ca: CertificateAuthority,
  options: { file: string; commonName: string; altNames?: readonly string[] },
): Promise<CertificateFiles> {
  const { dir } = ca;
  const cert = join(dir, `${options.file}.pem`);
  const key = join(dir, `${options.file}.key`);
  const csr = join(dir, `${options.file}.csr`);
  const ext = join(dir, `${options.file}.ext`);
  const server = options.altNames !== undefined && options.altNames.length > 0;
  await writeFile(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${server ? 'serverAuth' : 'clientAuth'}`,
      ...(server ? [`subjectAltName=${options.altNames!.join(',')}`] : []),
    ].join('\n') + '\n',
  );
  await openssl(['req', ...KEY_ARGS, '-keyout', key, '-out', csr, '-subj', `/CN=${options.commonName}`], dir);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext], dir);
  return { cert, key };
}
