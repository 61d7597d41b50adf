import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSiteConfigText } from '../../../agent/config/loadSiteConfig.js';
import { repoRoot } from '../../helpers/paths.js';

const examplesDir = join(repoRoot, 'config', 'examples');
// Every env: reference in the examples resolves to a placeholder; file: references are not read.
const env = new Proxy({}, { get: (_target, name) => `placeholder-${String(name)}` }) as NodeJS.ProcessEnv;

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
});
