import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPush } from '../../../agent/fleet/checkPush.js';
import { loadTrustedKeys } from '../../../agent/fleet/trustedKeys.js';
import { runCli } from '../../helpers/runCli.js';

/** `c5-agent keys generate`, `config sign` and `config validate` on envelopes, as an operator runs them. */

const dir = mkdtempSync(join(tmpdir(), 'c5-fleet-cli-'));
const keysDir = join(dir, 'keys');
const trusted = join(keysDir, 'trusted-keys.json');

function writeSite(name: string, version: number, fleet = true): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `version: ${version}\nsite: { id: cli-site }\nmqtt: { urls: ["mqtt://127.0.0.1:1883"] }\n` +
      (fleet ? `fleet: { trustedKeysFile: /etc/c5-agent/trusted-keys.json, stateDir: /var/lib/c5-agent/fleet }\n` : '') +
      `cameras:\n  - id: gate\n    source: { url: env:GATE_URL }\n    rules: [{ id: people, type: object_present, labels: [person] }]\n`,
  );
  return path;
}

describe('c5-agent keys and config sign', () => {
  it('generates a 0600 private key and a trusted-keys file, and adds later keys beside earlier ones', async () => {
    const first = await runCli(['keys', 'generate', '--out', keysDir, '--key-id', 'centre-2026a']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`sign with: c5-agent config sign --key ${join(keysDir, 'centre-2026a.key.pem')} --key-id centre-2026a`);
    expect(statSync(join(keysDir, 'centre-2026a.key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(keysDir, 'centre-2026a.key.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    // The entry to paste into an existing trusted-keys file: exactly the one written to this one.
    const lines = first.stdout.split('\n');
    const entry = JSON.parse(lines[lines.indexOf('trusted-keys entry (to add to the "keys" array of an existing trusted-keys file):') + 1]!) as unknown;
    expect(entry).toEqual((JSON.parse(readFileSync(trusted, 'utf8')) as { keys: unknown[] }).keys[0]);
    expect(Object.keys(entry as object)).toEqual(['keyId', 'publicKey']);

    const second = await runCli(['keys', 'generate', '--out', keysDir]);
    expect(second.code).toBe(0);
    const ids = (JSON.parse(readFileSync(trusted, 'utf8')) as { keys: { keyId: string }[] }).keys.map((key) => key.keyId);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe('centre-2026a');
    expect(ids[1]).toMatch(/^ed25519-[0-9a-f]{16}$/);

    const again = await runCli(['keys', 'generate', '--out', keysDir, '--key-id', 'centre-2026a']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('[key_exists]');
  });

  it('signs the exact bytes of a config into an envelope the agent accepts, and validates it', async () => {
    const site = writeSite('site-v7.yaml', 7);
    const signed = await runCli(['config', 'sign', '--key', join(keysDir, 'centre-2026a.key.pem'), '--key-id', 'centre-2026a', '--expires-in', '1h', site]);
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    const envelope = JSON.parse(signed.stdout) as { payload: string; keyId: string; expiresAt: string; sig: string };
    expect(Buffer.from(envelope.payload, 'base64').equals(readFileSync(site))).toBe(true);
    expect(envelope.keyId).toBe('centre-2026a');
    const lifetime = Date.parse(envelope.expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(50 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(3_600_000);

    const verdict = checkPush(Buffer.from(signed.stdout), {
      maxBytes: 1 << 20,
      trustedKeys: () => loadTrustedKeys(trusted),
      siteId: 'cli-site',
      highWaterMark: 6,
      now: Date.now(),
      env: { GATE_URL: 'rtsp://10.0.0.5/gate' },
      source: 'cli envelope',
    });
    expect(verdict).toMatchObject({ ok: true, keyId: 'centre-2026a' });

    const envelopePath = join(dir, 'envelope.json');
    writeFileSync(envelopePath, signed.stdout);
    const validated = await runCli(['config', 'validate', envelopePath, '--trusted', trusted], { env: { ...process.env, GATE_URL: 'rtsp://10.0.0.5/gate' } });
    expect(validated.stderr).toBe('');
    expect(validated.stdout).toMatch(
      /^ok: .*envelope\.json: envelope from key centre-2026a, signature verified, expires .*; site cli-site, version 7, 1 camera\(s\), sha256 [0-9a-f]{64}\n$/,
    );
  });

  it('defaults the key id to the key fingerprint, so an unnamed key needs no --key-id', async () => {
    const keys = JSON.parse(readFileSync(trusted, 'utf8')) as { keys: { keyId: string }[] };
    const fingerprint = keys.keys[1]!.keyId;
    const signed = await runCli(['config', 'sign', '--key', join(keysDir, `${fingerprint}.key.pem`), '--expires-in', 'none', writeSite('site-v8.yaml', 8)]);
    expect(signed.code).toBe(0);
    const envelope = JSON.parse(signed.stdout) as { keyId: string; expiresAt?: string };
    expect(envelope.keyId).toBe(fingerprint);
    expect(envelope.expiresAt).toBeUndefined();
  });

  it('signs under the id trusted-keys.json gives a named key when --key-id is left out', async () => {
    const signed = await runCli(['config', 'sign', '--key', join(keysDir, 'centre-2026a.key.pem'), writeSite('site-v10.yaml', 10)]);
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({ keyId: 'centre-2026a' });
    const verdict = checkPush(Buffer.from(signed.stdout), {
      maxBytes: 1 << 20,
      trustedKeys: () => loadTrustedKeys(trusted),
      siteId: 'cli-site',
      highWaterMark: 9,
      now: Date.now(),
      env: { GATE_URL: 'rtsp://10.0.0.5/gate' },
      source: 'cli envelope',
    });
    expect(verdict).toMatchObject({ ok: true, keyId: 'centre-2026a' });
  });

  it('refuses a --key-id the trusted keys lack, or hold with another public key', async () => {
    const key = join(keysDir, 'centre-2026a.key.pem');
    const unknown = await runCli(['config', 'sign', '--key', key, '--key-id', 'centre-2027', writeSite('site-v11.yaml', 11)]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain(`--key-id "centre-2027" is not in ${trusted}`);
    expect(unknown.stderr).toContain('[signing_key_untrusted]');
    const fingerprint = (JSON.parse(readFileSync(trusted, 'utf8')) as { keys: { keyId: string }[] }).keys[1]!.keyId;
    const other = await runCli(['config', 'sign', '--key', key, '--key-id', fingerprint, writeSite('site-v11.yaml', 11)]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`trusts another public key as "${fingerprint}"`);
  });

  it('refuses to sign a config the agent would refuse, naming the field', async () => {
    const key = join(keysDir, 'centre-2026a.key.pem');
    const invalid = join(dir, 'bad.yaml');
    writeFileSync(invalid, readFileSync(writeSite('tmp.yaml', 9), 'utf8').replace('version: 9', 'version: 0'));
    const bad = await runCli(['config', 'sign', '--key', key, invalid]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('version: Too small');
    const noFleet = await runCli(['config', 'sign', '--key', key, writeSite('no-fleet.yaml', 9, false)]);
    expect(noFleet.code).toBe(1);
    expect(noFleet.stderr).toContain('fleet: a pushed config must keep the fleet section');
    const badExpiry = await runCli(['config', 'sign', '--key', key, '--expires-in', 'tomorrow', writeSite('ok.yaml', 9)]);
    expect(badExpiry.code).toBe(2);
    expect(badExpiry.stderr).toContain('--expires-in "tomorrow"');
  });
});
