import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandIo } from '../../../../agent/cli/CommandIo.js';
import { exitCodeFor } from '../../../../agent/cli/exitCodes.js';
import { checkPush } from '../../../../agent/fleet/checkPush.js';
import { keysGenerateCommand } from '../../../../agent/fleet/keysGenerateCommand.js';
import { signCommand, type SignOptions } from '../../../../agent/fleet/signCommand.js';
import { loadTrustedKeys } from '../../../../agent/fleet/trustedKeys.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { AgentError } from '../../../../pipelines/errors.js';

/** `config sign` in-process: the key id is checked against the trusted keys the boxes use. */

const dir = mkdtempSync(join(tmpdir(), 'c5-sign-'));
const centre = join(dir, 'centre');
const site = join(dir, 'site.yaml');
writeFileSync(
  site,
  'version: 4\nsite: { id: sign-site }\nmqtt: { urls: ["mqtt://127.0.0.1:1883"] }\n' +
    'fleet: { trustedKeysFile: /etc/c5-agent/trusted-keys.json, stateDir: /var/lib/c5-agent/fleet }\n' +
    'cameras:\n  - id: gate\n    source: { url: "rtsp://10.0.0.5/gate" }\n    rules: [{ id: p, type: object_present, labels: [person] }]\n',
);

interface Outcome {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  readonly error?: AgentError;
}

async function run(command: (io: CommandIo) => Promise<number>): Promise<Outcome> {
  let out = '';
  let err = '';
  const io: CommandIo = {
    env: {},
    out: { write: (text: string) => (out += text) },
    err: { write: (text: string) => (err += text) },
    logger: createRootLogger({ level: 'silent' }),
    version: '0.0.0-test',
  };
  try {
    return { code: await command(io), out, err };
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    return { code: exitCodeFor(error), out, err, error };
  }
}

const sign = (options: Omit<SignOptions, 'file'>): Promise<Outcome> => run((io) => signCommand({ file: site, ...options }, io));

function accepts(envelope: string, trustedKeysFile: string): unknown {
  return checkPush(Buffer.from(envelope), {
    maxBytes: 1 << 20,
    trustedKeys: () => loadTrustedKeys(trustedKeysFile),
    siteId: 'sign-site',
    highWaterMark: 3,
    now: Date.now(),
    env: {},
    source: 'test',
  });
}

describe('config sign: the key id', () => {
  const named = join(centre, 'centre-2026a.key.pem');
  const trusted = join(centre, 'trusted-keys.json');

  it('finds a named key by its public half in the trusted-keys.json beside it', async () => {
    expect((await run((io) => keysGenerateCommand({ out: centre, keyId: 'centre-2026a' }, io))).code).toBe(0);
    const signed = await sign({ key: named });
    expect(signed.err).toBe('');
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.out)).toMatchObject({ keyId: 'centre-2026a' });
    expect(accepts(signed.out, trusted)).toMatchObject({ ok: true, keyId: 'centre-2026a' });
  });

  it('refuses a --key-id the file lacks (exit 1), naming the id the key has there', async () => {
    const signed = await sign({ key: named, keyId: 'centre-2026b' });
    expect(signed.code).toBe(1);
    expect(signed.out).toBe('');
    expect(signed.error?.code).toBe('signing_key_untrusted');
    expect(signed.error?.message).toBe(
      `--key-id "centre-2026b" is not in ${trusted}, so boxes trusting that file would refuse the push; this key is trusted there as "centre-2026a"`,
    );
  });

  it('refuses a --key-id whose public key in the file is another key', async () => {
    await run((io) => keysGenerateCommand({ out: centre, keyId: 'centre-2026c' }, io));
    const signed = await sign({ key: named, keyId: 'centre-2026c' });
    expect(signed.code).toBe(1);
    expect(signed.error?.message).toContain(`trusts another public key as "centre-2026c" than the one of ${named}`);
  });

  it('checks against the file given with --trusted, not the one beside the key', async () => {
    const boxes = join(dir, 'boxes-trusted-keys.json');
    // The boxes trust only centre-2026c, so the 2026a key is refused even though its own folder trusts it.
    const all = JSON.parse(readFileSync(trusted, 'utf8')) as { keys: { keyId: string }[] };
    writeFileSync(boxes, JSON.stringify({ keys: all.keys.filter((key) => key.keyId === 'centre-2026c') }));
    const refused = await sign({ key: named, trusted: boxes });
    expect(refused.code).toBe(1);
    expect(refused.error?.message).toContain(`the public key of ${named} is not in ${boxes}`);
    const signed = await sign({ key: join(centre, 'centre-2026c.key.pem'), trusted: boxes });
    expect(signed.code).toBe(0);
    expect(accepts(signed.out, boxes)).toMatchObject({ ok: true, keyId: 'centre-2026c' });
  });

  it('refuses a key past its notAfter in the file', async () => {
    const expired = join(dir, 'expired-trusted-keys.json');
    const all = JSON.parse(readFileSync(trusted, 'utf8')) as { keys: { keyId: string; notAfter?: string }[] };
    writeFileSync(expired, JSON.stringify({ keys: all.keys.map((key) => ({ ...key, notAfter: '2020-01-01T00:00:00Z' })) }));
    const signed = await sign({ key: named, trusted: expired });
    expect(signed.code).toBe(1);
    expect(signed.error?.message).toContain('key "centre-2026a" is past its notAfter (2020-01-01T00:00:00.000Z)');
  });

  it('asks for --key-id (usage, exit 2) when the file trusts the key under two ids', async () => {
    const twice = join(dir, 'twice-trusted-keys.json');
    const entry = (JSON.parse(readFileSync(trusted, 'utf8')) as { keys: { keyId: string; publicKey: string }[] }).keys[0]!;
    writeFileSync(twice, JSON.stringify({ keys: [entry, { ...entry, keyId: 'centre-alias' }] }));
    const signed = await sign({ key: named, trusted: twice });
    expect(signed.code).toBe(2);
    expect(signed.error?.message).toContain('under several ids (centre-2026a, centre-alias); choose one with --key-id');
    expect((await sign({ key: named, trusted: twice, keyId: 'centre-alias' })).code).toBe(0);
  });

  it('signs without a trusted-keys file to check against, with a loud warning on stderr', async () => {
    const lonely = join(dir, 'lonely');
    mkdirSync(lonely);
    copyFileSync(named, join(lonely, 'centre-2026a.key.pem'));
    const signed = await sign({ key: join(lonely, 'centre-2026a.key.pem'), keyId: 'centre-2026a' });
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.out)).toMatchObject({ keyId: 'centre-2026a' });
    expect(signed.err).toMatch(/^warning: key id "centre-2026a" was not checked: no --trusted file was given and there is no .*lonely\/trusted-keys\.json\. /);
    expect(signed.err).toContain('Every box will refuse this push unless its trusted-keys file has "centre-2026a"');
    // the envelope stays valid for the boxes that do trust the key
    expect(accepts(signed.out, trusted)).toMatchObject({ ok: true });
  });

  it('refuses a malformed --key-id as a usage error', async () => {
    const signed = await sign({ key: named, keyId: 'no spaces allowed' });
    expect(signed.code).toBe(2);
  });
});
