import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/paths.js';

// Lints source text as if it were a file at `path`, with the project's own eslint.config.js
// (the one `npm run lint` runs); returns the rules that reported an error.
let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: repoRoot });
});

async function rulesFiredAt(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, path) });
  return (result?.messages ?? []).filter((m) => m.severity === 2).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('the pipelines/ import boundary (eslint.config.js)', () => {
  it('refuses a pipelines/ -> agent/ import, from the top of pipelines/ and from a subfolder', async () => {
    expect(await rulesFiredAt('pipelines/x.ts', "export { systemClock } from '../agent/clock.js';\n")).toEqual(['import-x/no-restricted-paths']);
    expect(await rulesFiredAt('pipelines/rules/x.ts', "import type { Logger } from '../../agent/observe/logger.js';\nexport type L = Logger;\n")).toEqual([
      'import-x/no-restricted-paths',
    ]);
  });

  it('refuses node: modules and packages other than zod in pipelines/', async () => {
    expect(await rulesFiredAt('pipelines/x.ts', "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n")).toEqual([
      'no-restricted-imports',
    ]);
    expect(await rulesFiredAt('pipelines/x.ts', "import { connect } from 'mqtt';\nexport const open = connect;\n")).toEqual(['no-restricted-imports']);
  });

  it('allows pipelines/ -> zod and pipelines/ -> pipelines/', async () => {
    const code = [
      "import { z } from 'zod';",
      "import { anchorOf } from './geometry.js';",
      "import type { Box } from './types.js';",
      'export const schema = z.string();',
      'export const feet = (box: Box) => anchorOf(box);',
      '',
    ].join('\n');
    expect(await rulesFiredAt('pipelines/x.ts', code)).toEqual([]);
    expect(await rulesFiredAt('pipelines/rules/x.ts', code.replaceAll("'./", "'../"))).toEqual([]);
  });

  it('leaves agent/ free to import node: modules, packages and pipelines/', async () => {
    const code =
      "import { readFileSync } from 'node:fs';\nimport { connect } from 'mqtt';\nimport { toError } from '../pipelines/errors.js';\nexport const all = [readFileSync, connect, toError];\n";
    expect(await rulesFiredAt('agent/x.ts', code)).toEqual([]);
  });
});
