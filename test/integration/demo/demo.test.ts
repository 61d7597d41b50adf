import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDetector } from '../../../agent/inference/loadDetector.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { frameFromImage, letterboxImage } from '../../helpers/letterboxImage.js';
import { clipPath, repoRoot, sharedModelsDir } from '../../helpers/paths.js';
import { runCli } from '../../helpers/runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'c5-demo-'));
const edgeClip = join(dir, 'people-at-bottom-edge.avi');
const env = { ...process.env, C5_MODELS_DIR: sharedModelsDir };
/** the plaza zone of config/examples/demo.yaml: x 0.25..0.75, y 0.35..0.95 */
const ZONE_BOTTOM = 0.95;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

beforeAll(() => {
  // Seconds 1.5-4.5 of the plaza clip, where two people walk on the right: the region x 614..768,
  // y 173..311 (cut through their legs), scaled 3x and padded to 768x576 so the cut lies on the
  // frame's bottom edge. Their boxes end at the edge, below the zone's lower side at y 0.95.
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-y', '-ss', '1.5', '-t', '3', '-i', clipPath],
    ...['-vf', 'crop=154:138:614:173,scale=462:414,pad=768:576:153:162:gray', '-c:v', 'mpeg4', '-q:v', '3', '-an', edgeClip],
  ]);
});

describe('c5-agent demo on any clip', () => {
  it('the clip really has people standing on the bottom edge, outside the plaza zone (the detector on its frames)', async () => {
    const detector = await loadDetector({ name: 'yolox-nano', env, logger: createRootLogger({ level: 'silent' }) });
    try {
      for (const at of ['0.5', '1.5', '2.5']) {
        const png = join(dir, `frame-${at}.png`);
        execFileSync('ffmpeg', ['-v', 'error', '-y', '-ss', at, '-i', edgeClip, '-frames:v', '1', png]);
        const image = await letterboxImage(png, detector.model.inputWidth, detector.model.inputHeight);
        const people = (await detector.detect(frameFromImage(image), { minScore: 0.5, iouThreshold: 0.45 })).filter((d) => d.label === 'person');
        expect(people.length, `people at ${at} s`).toBeGreaterThan(0);
        // the anchor is the box's bottom-centre: below the zone on every one
        for (const person of people) expect(person.box[3], `person at ${at} s: ${person.box.join(', ')}`).toBeGreaterThan(ZONE_BOTTOM);
      }
    } finally {
      await detector.stop();
    }
  }, 30_000);

  it('prints person alerts with ids, and closing lines with an audit explain command that works', async () => {
    // npm sets npm_lifecycle_event for `npm run demo`: the closing lines then show the npx form too.
    // No C5_AUDIT_DIR: the demo's own temporary audit folder, the one a user gets.
    const result = await runCli(['demo', '--clip', edgeClip, '--duration', '10', '--metrics-port', '0'], {
      env: { ...env, npm_lifecycle_event: 'demo', C5_AUDIT_DIR: '' },
      timeoutMs: 40_000,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const alertLines = result.stdout.split('\n').filter((line) => / {2}plaza {2}/.test(line));
    const alerts = alertLines.map((line) => {
      const match = new RegExp(`^\\S+Z {2}plaza {2}(\\S+) +(start|update|end) +(\\w+) #\\d+ score 0\\.\\d\\d box \\[[^\\]]+\\] {2}id (${UUID})$`).exec(line);
      expect(match, line).not.toBeNull();
      return { rule: match![1]!, state: match![2]!, label: match![3]!, id: match![4]! };
    });
    const personStarts = alerts.filter((a) => a.rule === 'person-present' && a.state === 'start' && a.label === 'person');
    expect(personStarts.length).toBeGreaterThan(0);
    // nobody stands in the zone, as the detector showed
    expect(alerts.filter((a) => a.rule === 'centre-intrusion')).toEqual([]);
    expect(new Set(alerts.map((a) => a.id)).size).toBe(alerts.length);

    const auditDir = /^audit log: (\S+) /m.exec(result.stdout)?.[1];
    expect(auditDir).toMatch(/[/\\]c5-demo-audit-\w+$/);
    const hint = new RegExp(`^ {2}c5-agent audit explain (${UUID}) --dir (\\S+)$`, 'm').exec(result.stdout);
    expect(hint, result.stdout).not.toBeNull();
    const [, id, hintDir] = hint!;
    expect(hintDir).toBe(auditDir);
    const explained = alerts.find((a) => a.id === id);
    expect(explained, 'the explained alert is one the demo printed').toBeDefined();
    expect(result.stdout).toContain(`\n  from this checkout: npx --no-install c5-agent audit explain ${id} --dir ${auditDir}\n`);

    // the printed command, with the built CLI for c5-agent
    const explain = await runCli(['audit', 'explain', id!, '--dir', auditDir!]);
    expect(explain.stderr).toBe('');
    expect(explain.code).toBe(0);
    expect(explain.stdout).toMatch(new RegExp(`^alert ${id}: object_present ${explained!.state}, camera plaza, rule ${explained!.rule}, track \\d+\\n`));
    expect(explain.stdout).toContain('<- this alert');
    expect(explain.stdout).toContain('log integrity: OK');
    // and the npx form, as npm users run it from the checkout
    const npx = await promisify(execFile)('npx', ['--no-install', 'c5-agent', 'audit', 'explain', id!, '--dir', auditDir!], { cwd: repoRoot, timeout: 30_000 });
    expect(npx.stdout).toBe(explain.stdout);
  }, 60_000);
});
