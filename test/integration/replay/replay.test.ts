import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { runReplay } from '../../../agent/replay/runReplay.js';
import { clipPath, sharedModelsDir } from '../../helpers/paths.js';
import { runCli } from '../../helpers/runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'c5-replay-'));
const clip = join(dir, 'plaza-10s.avi');
const config = join(dir, 'site.yaml');
const env = { ...process.env, C5_MODELS_DIR: sharedModelsDir };

beforeAll(() => {
  // the first 10 s of the plaza clip, stream-copied: 100 source frames, 50 at 5 fps
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-t', '10', '-i', clipPath, '-c', 'copy', clip]);
  // the camera URL is a secret reference nobody set: replay reads the clip and needs no secret
  writeFileSync(
    config,
    `version: 3\nsite: { id: replay-site }\nmqtt: { urls: ["mqtt://127.0.0.1:1"] }\ncameras:\n` +
      `  - id: plaza\n    source: { url: env:PLAZA_CAMERA_URL }\n    analyticsFps: 5\n` +
      `    zones: [{ id: lower, polygon: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] }]\n` +
      `    rules:\n      - { id: lower-people, type: zone_intrusion, zone: lower, labels: [person], minScore: 0.4 }\n` +
      `      - { id: anyone, type: object_present, labels: [person], minScore: 0.5 }\n` +
      `  - id: other\n    source: { url: env:OTHER_CAMERA_URL }\n`,
  );
});

describe('c5-agent replay', () => {
  it('processes every frame, timed from the frame index, and two runs write the same decisions byte for byte', async () => {
    const first = join(dir, 'first.jsonl');
    let progress = '';
    const summary = await runReplay({
      configPath: config,
      cameraId: 'plaza',
      input: clip,
      out: first,
      startTime: Date.parse('2026-11-29T18:00:00Z'),
      env,
      logger: createRootLogger({ level: 'silent' }),
      version: '0.0.0-test',
      progress: { write: (text: string) => (progress += text), isTTY: false },
    });
    // inference is far slower than decoding: without the paced reader most frames would be replaced
    expect(summary).toMatchObject({ camera: 'plaza', frames: 50, processed: 50, dropped: 0, failed: 0 });
    expect(summary.alerts).toBeGreaterThan(0);
    // 10 s x 5 fps: the total is known from the clip's duration before the first frame is done
    expect(progress).toMatch(/^replay plaza: 1\/50 frames \(2%\)\n/);
    expect(progress).toMatch(/\nreplay plaza: done, 50 frames in \d+\.\d s \(\d+\.\d frames\/s\)\n$/);
    const lines = readFileSync(first, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { frame: number; time: string; decision: { outcome: string } });
    expect(lines).toHaveLength(summary.decisions);
    expect(lines.some((line) => line.decision.outcome === 'suppress')).toBe(true);
    for (const line of lines) expect(line.time).toBe(new Date(Date.parse('2026-11-29T18:00:00Z') + (line.frame - 1) * 200).toISOString());

    const second = join(dir, 'second.jsonl');
    const tracksFile = join(dir, 'tracks.jsonl');
    const cli = await runCli(
      ['replay', '--config', config, '--camera', 'plaza', '--input', clip, '--out', second, '--tracks', tracksFile, '--start', '2026-11-29T18:00:00Z'],
      { env, timeoutMs: 60_000 },
    );
    expect(cli.code).toBe(0);
    // progress goes to stderr only: plain lines (stderr is a pipe, not a terminal), rate and ETA, a final line
    const progressLines = cli.stderr.trimEnd().split('\n');
    for (const line of progressLines.slice(0, -1)) expect(line).toMatch(/^replay plaza: \d+\/50 frames \(\d+%\)(, \d+\.\d frames\/s, ETA \d+:\d\d)?$/);
    expect(progressLines.some((line) => / frames\/s, ETA /.test(line))).toBe(true);
    expect(progressLines.at(-1)).toMatch(/^replay plaza: done, 50 frames in \d+\.\d s \(\d+\.\d frames\/s\)$/);
    expect(cli.stdout).toContain('replay: 50 frames (50 processed, 0 dropped, 0 failed)');
    expect(cli.stdout).not.toContain('replay plaza:');
    expect(readFileSync(second).equals(readFileSync(first))).toBe(true);

    // --tracks: one line per processed frame, in order; every alert's object is a track matched on its frame
    type TracksLine = { frame: number; time: string; tracks: { id: number; label: string; box: number[]; misses: number }[] };
    const tracks = readFileSync(tracksFile, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as TracksLine);
    expect(tracks.map((line) => line.frame)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (const line of tracks) expect(line.time).toBe(new Date(Date.parse('2026-11-29T18:00:00Z') + (line.frame - 1) * 200).toISOString());
    const alerts = readFileSync(second, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { frame: number; decision: { state?: string }; object?: { trackId: number; bbox: number[] } })
      .filter((line) => line.object !== undefined && line.decision.state === 'start');
    expect(alerts.length).toBeGreaterThan(0);
    for (const alert of alerts) {
      const track = tracks[alert.frame - 1]!.tracks.find((t) => t.id === alert.object!.trackId);
      expect(track?.misses).toBe(0);
      expect(alert.object!.bbox).toEqual(track!.box.map((v) => Math.min(1, Math.max(0, v))));
    }
  }, 90_000);

  it('asks which camera when the site has several, and names the choices', async () => {
    const result = await runCli(['replay', '--config', config, '--input', clip, '--out', join(dir, 'x.jsonl')], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('has 2 cameras; choose one with --camera (plaza, other)');
  });
});
