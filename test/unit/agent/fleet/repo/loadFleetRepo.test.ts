import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { formatFleetIssue, loadFleetRepo } from '../../../../../agent/fleet/repo/loadFleetRepo.js';
import { renderedContentSha256, siteConfigText } from '../../../../../agent/fleet/repo/siteConfigText.js';
import { MAX_CONFIG_FILE_BYTES } from '../../../../../agent/config/loadSiteConfig.js';
import { parseSiteConfig } from '../../../../../pipelines/config/siteConfig.js';

const EXAMPLE = join(import.meta.dirname, '../../../../../config/examples/fleet');
const FIXTURE = join(import.meta.dirname, '../../../../fixtures/fleet/cdmx-cuauhtemoc-0043.rendered.yaml');

const SITE = (id: string, extra = ''): string => `site:\n  id: ${id}\n${extra}cameras:\n  - id: cam-1\n    source:\n      url: env:CAM_URL\n`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c5-fleet-repo-'));
  mkdirSync(join(dir, 'sites'));
  mkdirSync(join(dir, 'groups'));
  writeFileSync(join(dir, 'fleet.yaml'), 'defaults:\n  mqtt:\n    urls: [mqtt://127.0.0.1:1883]\ncameraDefaults:\n  model: yolox-nano\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadFleetRepo on the example repository', () => {
  it('renders every site, and one site exactly as the hand-written expectation', () => {
    const repo = loadFleetRepo(EXAMPLE);
    expect(repo.issues).toEqual([]);
    expect(repo.sites.map((site) => site.siteId)).toEqual(['cdmx-coyoacan-0007', 'cdmx-cuauhtemoc-0042', 'cdmx-cuauhtemoc-0043']);
    const site = repo.sites.find((s) => s.siteId === 'cdmx-cuauhtemoc-0043')!;
    const text = siteConfigText(site, 7);
    expect(parseYaml(text)).toEqual(parseYaml(readFileSync(FIXTURE, 'utf8')));
    expect(text.split('\n', 1)[0]).toMatch(/^# rendered by c5-agent fleet from the fleet repository \(sites\/cdmx-cuauhtemoc-0043\.yaml\)/);
    // what is pushed parses as the site config the agent loads, with the push's version
    const parsed = parseSiteConfig(parseYaml(text));
    expect(parsed.ok && parsed.config.version).toBe(7);
  });

  it('gives the same bytes every time, and a content hash that ignores the version', () => {
    const [a] = loadFleetRepo(EXAMPLE).sites;
    const [b] = loadFleetRepo(EXAMPLE).sites;
    expect(siteConfigText(a!, 3)).toBe(siteConfigText(b!, 3));
    expect(siteConfigText(a!, 3)).not.toBe(siteConfigText(a!, 4));
    expect(renderedContentSha256(a!)).toBe(renderedContentSha256(b!));
    expect(renderedContentSha256(a!)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a null in the site file brings back the schema default', () => {
    const site = loadFleetRepo(EXAMPLE).sites.find((s) => s.siteId === 'cdmx-coyoacan-0007')!;
    expect(site.config.cameras[0]!.detection.minScore).toBe(0.25); // fleet.yaml says 0.3; the site removes it
  });
});

describe('loadFleetRepo on a broken repository', () => {
  it('lists every problem at once, each with site, file and field', () => {
    writeFileSync(join(dir, 'sites', 'good-1.yaml'), SITE('good-1'));
    writeFileSync(join(dir, 'sites', 'wrong-name.yaml'), SITE('other-id'));
    writeFileSync(join(dir, 'sites', 'no-group.yaml'), SITE('no-group', 'groups: [borough-x]\n'));
    writeFileSync(join(dir, 'sites', 'bad-field.yaml'), `${SITE('bad-field')}    analyticsFps: -1\n    rules:\n      - id: r1\n        template: nope\n`);
    writeFileSync(join(dir, 'sites', 'bad-fps.yaml'), `${SITE('bad-fps')}    analyticsFps: -1\n`);
    writeFileSync(join(dir, 'sites', 'Upper.yaml'), SITE('upper'));
    writeFileSync(join(dir, 'sites', 'typo.yml'), SITE('typo'));
    writeFileSync(join(dir, 'sites', 'syntax.yaml'), 'site: [unclosed\n');
    writeFileSync(join(dir, 'sites', 'unknown-key.yaml'), `${SITE('unknown-key')}colour: red\n`);
    const repo = loadFleetRepo(dir);
    expect(repo.sites.map((s) => s.siteId)).toEqual(['good-1']);
    const lines = repo.issues.map(formatFleetIssue);
    expect(lines).toContain('wrong-name: sites/wrong-name.yaml: site.id: "other-id" differs from the file name (sites/wrong-name.yaml)');
    expect(lines).toContain('no-group: sites/no-group.yaml: groups[0]: unknown group "borough-x" (no groups/borough-x.yaml)');
    expect(lines).toContain('bad-field: sites/bad-field.yaml: cameras[0].rules[0].template: unknown rule template "nope" (none defined)');
    expect(lines.some((line) => line.startsWith('bad-fps: sites/bad-fps.yaml: cameras[0].analyticsFps: '))).toBe(true);
    expect(lines.some((line) => line.startsWith('-: sites/"Upper.yaml": (root): not a site file'))).toBe(true);
    expect(lines.some((line) => line.startsWith('-: sites/"typo.yml": (root): not a site file'))).toBe(true);
    expect(lines.some((line) => line.startsWith('syntax: sites/syntax.yaml: (root): not valid YAML'))).toBe(true);
    expect(lines).toContain('unknown-key: sites/unknown-key.yaml: (root): unknown key(s) "colour"');
  });

  it('refuses an oversized file and a FIFO without reading them, and keeps going', () => {
    writeFileSync(join(dir, 'sites', 'huge.yaml'), Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1, 0x20));
    execFileSync('mkfifo', [join(dir, 'sites', 'fifo.yaml')]);
    writeFileSync(join(dir, 'sites', 'good-1.yaml'), SITE('good-1'));
    const repo = loadFleetRepo(dir);
    expect(repo.sites.map((s) => s.siteId)).toEqual(['good-1']);
    expect(repo.issues.map(formatFleetIssue)).toEqual([
      'fifo: sites/fifo.yaml: (root): cannot read (not a regular file but a FIFO)',
      `huge: sites/huge.yaml: (root): cannot read (${MAX_CONFIG_FILE_BYTES + 1} bytes, over the limit of ${MAX_CONFIG_FILE_BYTES})`,
    ]);
  });

  it('a broken group is reported once, and every site in it says so', () => {
    writeFileSync(join(dir, 'groups', 'east.yaml'), 'defaults:\n  colour: red\n');
    writeFileSync(join(dir, 'sites', 'e-1.yaml'), SITE('e-1', 'groups: [east]\n'));
    writeFileSync(join(dir, 'sites', 'e-2.yaml'), SITE('e-2', 'groups: [east]\n'));
    const lines = loadFleetRepo(dir).issues.map(formatFleetIssue);
    expect(lines).toEqual([
      '-: groups/east.yaml: defaults: unknown key(s) "colour"',
      'e-1: sites/e-1.yaml: groups[0]: not rendered: groups/east.yaml has errors',
      'e-2: sites/e-2.yaml: groups[0]: not rendered: groups/east.yaml has errors',
    ]);
  });

  it('a group name cannot walk out of groups/', () => {
    writeFileSync(join(dir, 'sites', 's-1.yaml'), SITE('s-1', 'groups: ["../fleet"]\n'));
    const lines = loadFleetRepo(dir).issues.map(formatFleetIssue);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^s-1: sites\/s-1\.yaml: groups\[0\]: expected an id/);
  });

  it('a folder without fleet.yaml is not a fleet repository', () => {
    rmSync(join(dir, 'fleet.yaml'));
    expect(() => loadFleetRepo(dir)).toThrow(/is not a fleet repository: cannot read fleet.yaml \(ENOENT\)/);
  });

  it('checks labels against the models when given them', () => {
    cpSync(EXAMPLE, dir, { recursive: true });
    writeFileSync(
      join(dir, 'sites', 'labels.yaml'),
      `${SITE('labels')}    zones:\n      - id: z\n        polygon: [[0,0],[1,0],[1,1]]\n    rules:\n      - id: r\n        template: pedestrians-in-zone\n        zone: z\n        labels: [persons]\n`,
    );
    const models = new Map([['yolox-nano', { labels: ['person', 'car'], source: 'test labels' }]]);
    const lines = loadFleetRepo(dir, { models }).issues.map(formatFleetIssue);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^labels: sites\/labels\.yaml: cameras\[0\]\.rules\[0\]\.labels\[0\]: .*"persons".*person/);
  });
});
