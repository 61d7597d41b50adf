import { join } from 'node:path';
import { cruise, type IReporterOutput } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/paths.js';

// Runs the project's own .dependency-cruiser.cjs (the one `npm run lint` runs) on fixture pairs
// under test/fixtures/lint/, which that config excludes from the main run.
async function cruiseFixture(folder: string): Promise<{ rule: string; cycle: string[] }[]> {
  const options = await extractDepcruiseOptions(join(repoRoot, '.dependency-cruiser.cjs'));
  const tsConfig = extractTSConfig(join(repoRoot, 'tsconfig.json'));
  const result: IReporterOutput = await cruise(
    [`test/fixtures/lint/${folder}`],
    { ...options, exclude: { path: '^dist/' }, baseDir: repoRoot },
    {},
    { tsConfig },
  );
  if (typeof result.output === 'string') throw new Error('dependency-cruiser returned a report, not a result');
  return result.output.summary.violations.map((v) => ({ rule: v.rule.name, cycle: (v.cycle ?? []).map((step) => step.name) }));
}

describe('import cycles (.dependency-cruiser.cjs)', () => {
  it('reports a two-file loop closed by an `import type`', async () => {
    const violations = await cruiseFixture('typeCycle');
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.every((v) => v.rule === 'no-circular')).toBe(true);
    const files = new Set(violations.flatMap((v) => v.cycle));
    expect(files).toEqual(new Set(['test/fixtures/lint/typeCycle/loadThing.ts', 'test/fixtures/lint/typeCycle/ThingOpener.ts']));
  });

  it('reports nothing when the same two files import one way only', async () => {
    expect(await cruiseFixture('noCycle')).toEqual([]);
  });
});
