import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FleetStateStore, writeFileAtomic } from '../../../../agent/fleet/FleetStateStore.js';
import { selectStartupConfig } from '../../../../agent/fleet/selectStartupConfig.js';
import { parseSiteConfigText } from '../../../../agent/config/loadSiteConfig.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { sha256Hex } from '../../../../agent/sha256Hex.js';

const logger = createRootLogger({ level: 'silent' });
const tempDir = (): string => mkdtempSync(join(tmpdir(), 'c5-fleet-state-'));

function siteYaml(version: number, stateDir: string, site = 'site-a', cameraUrl = 'rtsp://10.0.0.2/a'): string {
  return (
    `version: ${version}\nsite: { id: ${site} }\nmqtt: { urls: ["mqtt://127.0.0.1:1883"] }\n` +
    `fleet: { trustedKeysFile: /k.json, stateDir: "${stateDir}" }\ncameras:\n  - id: cam-1\n    source: { url: "${cameraUrl}" }\n`
  );
}

async function persist(store: FleetStateStore, text: string, version: number): Promise<void> {
  const payload = Buffer.from(text);
  await store.saveLastKnownGood({ version, sha256: sha256Hex(payload), appliedAt: '2026-03-01T12:00:00.000Z' }, payload);
}

describe('FleetStateStore', () => {
  it('persists the last-known-good bytes and the high-water mark, mode 0600, without temp files left', async () => {
    const dir = join(tempDir(), 'state');
    const store = new FleetStateStore(dir);
    expect(store.readLastKnownGood()).toBeUndefined();
    expect(store.readHighWaterMark()).toBeUndefined();
    await persist(store, 'version: 3\n', 3);
    await store.raiseHighWaterMark({ version: 4, envelopeSha256: 'e'.repeat(64), updatedAt: '2026-03-01T12:00:00.000Z' });
    expect(Buffer.from(store.readLastKnownGood()!.payload, 'base64').toString()).toBe('version: 3\n');
    expect(store.readHighWaterMark()).toMatchObject({ version: 4, envelopeSha256: 'e'.repeat(64) });
    expect(readdirSync(dir).sort()).toEqual(['last-known-good.json', 'version-high-water-mark.json']);
    expect(statSync(join(dir, 'last-known-good.json')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('never lowers the high-water mark', async () => {
    const store = new FleetStateStore(tempDir());
    await store.raiseHighWaterMark({ version: 9, updatedAt: '2026-03-01T12:00:00.000Z' });
    await expect(store.raiseHighWaterMark({ version: 8, updatedAt: '2026-03-01T12:00:01.000Z' })).rejects.toMatchObject({ code: 'high_water_mark_lowered' });
    expect(store.readHighWaterMark()?.version).toBe(9);
  });

  it('calls a damaged state file corrupt instead of guessing', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'version-high-water-mark.json'), '{"version": "nine"}');
    expect(() => new FleetStateStore(dir).readHighWaterMark()).toThrow(/version-high-water-mark\.json/);
  });

  it('replaces a file whole: the old content until the rename, the new one after', async () => {
    const path = join(tempDir(), 'file.json');
    await writeFileAtomic(path, 'old');
    await writeFileAtomic(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
  });
});

describe('selectStartupConfig', () => {
  it('runs the config file when nothing was pushed, or when the file is as new', async () => {
    const dir = tempDir();
    const bootstrap = parseSiteConfigText(siteYaml(5, dir), 'site.yaml', {});
    expect(selectStartupConfig(bootstrap, {}, logger)?.loaded).toBe(bootstrap);
    await persist(new FleetStateStore(dir), siteYaml(5, dir, 'site-a', 'rtsp://10.0.0.9/b'), 5);
    expect(selectStartupConfig(bootstrap, {}, logger)?.loaded).toBe(bootstrap);
  });

  it('runs a newer pushed config across a restart, resolving its secrets then', async () => {
    const dir = tempDir();
    const pushed = siteYaml(8, dir, 'site-a', 'env:CAM_URL');
    await persist(new FleetStateStore(dir), pushed, 8);
    const bootstrap = parseSiteConfigText(siteYaml(5, dir), 'site.yaml', {});
    const selected = selectStartupConfig(bootstrap, { CAM_URL: 'rtsp://10.0.0.7/z' }, logger)!;
    expect(selected.loaded.config.version).toBe(8);
    expect(selected.loaded.config.cameras[0]!.source.url).toBe('rtsp://10.0.0.7/z');
    expect(selected.loaded.sha256).toBe(sha256Hex(Buffer.from(pushed)));
    expect(selected.store.dir).toBe(dir);
  });

  it('falls back to the file when the last-known-good is unusable: another site, a tampered payload, an unset secret', async () => {
    const dir = tempDir();
    const store = new FleetStateStore(dir);
    const bootstrap = parseSiteConfigText(siteYaml(5, dir), 'site.yaml', {});
    await persist(store, siteYaml(8, dir, 'site-b'), 8);
    expect(selectStartupConfig(bootstrap, {}, logger)?.loaded).toBe(bootstrap);
    await persist(store, siteYaml(8, dir, 'site-a', 'env:UNSET'), 8);
    expect(selectStartupConfig(bootstrap, {}, logger)?.loaded).toBe(bootstrap);
    const stored = JSON.parse(readFileSync(join(dir, 'last-known-good.json'), 'utf8')) as { payload: string };
    stored.payload = Buffer.from(siteYaml(8, dir)).toString('base64');
    writeFileSync(join(dir, 'last-known-good.json'), JSON.stringify(stored));
    expect(selectStartupConfig(bootstrap, {}, logger)?.loaded).toBe(bootstrap);
  });

  it('has nothing to choose without a fleet section', () => {
    const bootstrap = parseSiteConfigText(
      'version: 1\nsite: {id: s}\nmqtt: {urls: ["mqtt://127.0.0.1:1"]}\ncameras: [{id: c, source: {url: x}}]\n',
      'site.yaml',
      {},
    );
    expect(selectStartupConfig(bootstrap, {}, logger)).toBeUndefined();
  });
});
