import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandIo } from '../../../agent/cli/CommandIo.js';
import { checkSiteConfigText } from '../../../agent/config/checkSiteConfig.js';
import { parseSiteConfigText } from '../../../agent/config/loadSiteConfig.js';
import { validateCommand } from '../../../agent/config/validateCommand.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { repoRoot } from '../../helpers/paths.js';

const examplesDir = join(repoRoot, 'config', 'examples');
const siteExample = join(examplesDir, 'site.yaml');
// Every env: reference in the examples resolves to a placeholder; file: references are not read.
const env = new Proxy({}, { get: (_target, name) => `placeholder-${String(name)}` }) as NodeJS.ProcessEnv;

/** The environment variables site.yaml's header says it reads: the `#   NAME   what` lines under "environment variables". */
function documentedEnvironment(): string[] {
  const lines = readFileSync(siteExample, 'utf8').split('\n');
  const start = lines.findIndex((line) => /^# This file reads these environment variables/.test(line));
  const names: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const match = /^# {3}([A-Z][A-Z0-9_]*) {2,}\S/.exec(line);
    if (!match) break;
    names.push(match[1]!);
  }
  return names;
}

async function validate(options: { secrets?: boolean }, processEnv: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIo = {
    env: processEnv,
    out: { write: (text: string) => (out += text) },
    err: { write: (text: string) => (err += text) },
    logger: createRootLogger({ level: 'silent' }),
    version: '0.0.0-test',
  };
  const code = await validateCommand({ file: siteExample, ...options }, io);
  return { code, out, err };
}

describe('config/examples', () => {
  const files = readdirSync(examplesDir).filter((name) => /\.(ya?ml|json)$/.test(name));

  it('has the demo and a commented site example', () => {
    expect(files).toEqual(expect.arrayContaining(['demo.yaml', 'site.yaml']));
  });

  it.each(files)('%s is a valid site config', (name) => {
    const text = readFileSync(join(examplesDir, name), 'utf8').replace(/file:\/run\/secrets\/[\w-]+/g, 'literal');
    const loaded = parseSiteConfigText(text, name, env);
    expect(loaded.config.cameras.length).toBeGreaterThan(0);
  });

  it.each(files)("%s names only labels its cameras' models output", async (name) => {
    const checked = await checkSiteConfigText(readFileSync(join(examplesDir, name), 'utf8'), name, {}, { secrets: false });
    expect(checked.config.cameras.length).toBeGreaterThan(0);
  });
});

describe('config/examples/site.yaml', () => {
  it('starts with the yaml-language-server modeline, pointing at config/site.schema.json', () => {
    const first = readFileSync(siteExample, 'utf8').split('\n')[0]!;
    const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    expect(match).not.toBeNull();
    const schemaPath = resolve(dirname(siteExample), match![1]!);
    expect(schemaPath).toBe(join(repoRoot, 'config', 'site.schema.json'));
    expect(existsSync(schemaPath)).toBe(true);
  });

  it('documents four environment variables', () => {
    expect(documentedEnvironment()).toEqual(['CAM_NORTH_URL', 'CAM_DEPOT_URL', 'MQTT_USERNAME', 'MQTT_PASSWORD']);
  });

  it('passes `config validate --no-secrets` with nothing set, listing exactly the documented variables', async () => {
    const result = await validate({ secrets: false }, {});
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    const references = result.out.split('\n').filter((line) => line.startsWith('  '));
    expect(references.map((line) => /: env:([A-Z0-9_]+)$/.exec(line)?.[1]).sort()).toEqual(documentedEnvironment().sort());
  });

  it('passes the full validation with the documented environment set', async () => {
    const documented = Object.fromEntries(documentedEnvironment().map((name) => [name, `value-of-${name}`]));
    const result = await validate({}, documented);
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(result.out).toMatch(/^ok: .*site\.yaml: site cdmx-cuauhtemoc-0042, version 12, 2 camera\(s\), sha256 [0-9a-f]{64}\n$/);
  });

  it('without that environment, names every missing variable in one run', async () => {
    await expect(validate({}, {})).rejects.toThrow(/4 secrets do not resolve:\n(.*is not set.*\n?){4}$/);
  });
});
