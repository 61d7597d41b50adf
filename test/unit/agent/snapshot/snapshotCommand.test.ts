import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapshotCommand, type SnapshotOptions } from '../../../../agent/snapshot/snapshotCommand.js';
import { captureIo } from '../../../helpers/doctorIo.js';

const dir = mkdtempSync(join(tmpdir(), 'c5-snapshot-usage-'));
const config = join(dir, 'site.yaml');
const clip = join(dir, 'clip.mkv');
writeFileSync(clip, 'never opened: every case here is refused before ffmpeg runs');
writeFileSync(
  config,
  `version: 1
site: { id: snap }
mqtt: { urls: ["mqtt://127.0.0.1:1"], password: env:MQTT_PASSWORD_NOBODY_SET }
cameras:
  - id: north
    source: { url: env:NORTH_URL_NOBODY_SET }
  - id: south
    source: { url: env:SOUTH_URL_NOBODY_SET }
`,
);
const out = join(dir, 'out.png');
mkdirSync(join(dir, 'folder.png'));

async function refusal(options: SnapshotOptions): Promise<{ code: string; message: string }> {
  const captured = captureIo({});
  return (await snapshotCommand(options, captured.io).then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  )) as { code: string; message: string };
}

describe('snapshotCommand refuses bad arguments as usage errors, before opening anything', () => {
  it.each<[string, SnapshotOptions, string]>([
    ['no source at all', { out }, 'snapshot needs --config site.yaml'],
    ['an --out that is not a PNG', { input: clip, out: join(dir, 'x.jpg') }, '--out must name a .png file'],
    ['an --out that is a directory', { input: clip, out: join(dir, 'folder.png') }, 'is a directory; name a file in it'],
    ['an --out in a folder that does not exist', { input: clip, out: join(dir, 'nope', 'x.png') }, 'does not exist'],
    ['--camera without --config', { input: clip, camera: 'north', out }, '--camera needs --config'],
    ['--at on a live camera', { config, camera: 'north', at: 3, out }, '--at needs --input'],
    ['a negative --at', { input: clip, at: -1, out }, '--at must be 0 or more seconds'],
    ['an --input that does not exist', { input: join(dir, 'missing.mkv'), out }, 'does not exist'],
    ['--detect 0', { input: clip, detect: 0, out }, '--detect takes more than 0 and at most 30 seconds'],
    ['--detect 31', { input: clip, detect: 31, out }, '--detect takes more than 0 and at most 30 seconds'],
    ['--timeout 0', { input: clip, timeout: 0, out }, '--timeout must be more than 0'],
    ['no --camera when the site has two', { config, out }, 'has 2 cameras; choose one with --camera (north, south)'],
    ['an unknown camera', { config, camera: 'east', out }, 'no camera "east" in'],
  ])('%s', async (_name, options, message) => {
    const error = await refusal(options);
    expect(error.code).toBe('usage');
    expect(error.message).toContain(message);
  });

  it('echoes a hostile camera id only as a short escaped prefix', async () => {
    const error = await refusal({ config, camera: `x\u001b[31m${'y'.repeat(500)}`, out });
    expect(error.message).not.toContain('\u001b');
    expect(error.message).not.toContain('y'.repeat(100));
  });

  it('resolves only the chosen camera URL: an unset MQTT password does not matter, an unset camera URL does (exit 1, not usage)', async () => {
    const error = await refusal({ config, camera: 'north', out });
    expect(error.code).toBe('secret_unresolved');
    expect(error.message).toContain('NORTH_URL_NOBODY_SET');
    expect(error.message).not.toContain('MQTT_PASSWORD_NOBODY_SET');
  });
});
