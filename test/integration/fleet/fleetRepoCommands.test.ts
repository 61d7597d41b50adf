import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../../helpers/paths.js';
import { runCli } from '../../helpers/runCli.js';

/** `c5-agent fleet render` and `fleet validate` on the example repository, and on a broken copy of it. */
const EXAMPLE = join(repoRoot, 'config', 'examples', 'fleet');
const FIXTURE = join(repoRoot, 'test', 'fixtures', 'fleet', 'cdmx-cuauhtemoc-0043.rendered.yaml');

const broken = mkdtempSync(join(tmpdir(), 'c5-fleet-cli-'));
afterAll(() => rmSync(broken, { recursive: true, force: true }));

describe('c5-agent fleet render', () => {
  it("prints a site's effective config with the version asked for, as written by hand in the fixture", async () => {
    const result = await runCli(['fleet', 'render', '--repo', EXAMPLE, '--site', 'cdmx-cuauhtemoc-0043', '--config-version', '7']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(parseYaml(result.stdout)).toEqual(parseYaml(readFileSync(FIXTURE, 'utf8')));
  });

  it('names an unknown site and exits 1', async () => {
    const result = await runCli(['fleet', 'render', '--repo', EXAMPLE, '--site', 'cdmx-nowhere-0001']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no site "cdmx-nowhere-0001" in');
  });

  it('a version that is not an integer from 1 is a usage error', async () => {
    const result = await runCli(['fleet', 'render', '--repo', EXAMPLE, '--site', 'cdmx-cuauhtemoc-0043', '--config-version', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('expected an integer from 1');
  });
});

describe('c5-agent fleet validate', () => {
  it('passes the example repository', async () => {
    const result = await runCli(['fleet', 'validate', '--repo', EXAMPLE]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ok: 3 site(s), 3 valid, 0 with errors; 0 problems\n');
  });

  it('lists every problem of a broken copy at once, with site, file and field, and exits 1', async () => {
    cpSync(EXAMPLE, broken, { recursive: true });
    const site42 = join(broken, 'sites', 'cdmx-cuauhtemoc-0042.yaml');
    writeFileSync(site42, readFileSync(site42, 'utf8').replace('zone: crosswalk\n      - id: crosswalk-crowd', 'zone: crosswak\n      - id: crosswalk-crowd'));
    const site43 = join(broken, 'sites', 'cdmx-cuauhtemoc-0043.yaml');
    writeFileSync(site43, readFileSync(site43, 'utf8').replace('groups: [cuauhtemoc, night-watch]', 'groups: [cuauhtemoc, night-wach]'));
    const result = await runCli(['fleet', 'validate', '--repo', broken]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^cdmx-cuauhtemoc-0042: sites\/cdmx-cuauhtemoc-0042\.yaml: cameras\[0\]\.rules\[0\]\.zone: .*crosswak/);
    expect(lines[1]).toBe('cdmx-cuauhtemoc-0043: sites/cdmx-cuauhtemoc-0043.yaml: groups[1]: unknown group "night-wach" (no groups/night-wach.yaml)');
    expect(lines[2]).toBe('invalid: 3 site(s), 1 valid, 2 with errors; 2 problems');
    expect(lines).toHaveLength(3);

    const json = await runCli(['fleet', 'validate', '--repo', broken, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; sites: number; valid: number; invalid: number; issues: { siteId: string; path: string }[] };
    expect(report).toMatchObject({ ok: false, sites: 3, valid: 1, invalid: 2 });
    expect(report.issues.map((issue) => [issue.siteId, issue.path])).toEqual([
      ['cdmx-cuauhtemoc-0042', 'cameras[0].rules[0].zone'],
      ['cdmx-cuauhtemoc-0043', 'groups[1]'],
    ]);
  });
});
