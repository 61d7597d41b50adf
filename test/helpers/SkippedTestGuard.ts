import type { Reporter, TestModule, Vitest } from 'vitest/node';

/**
 * Under `CI=true` (vitest.config.ts adds this reporter only then) a skipped test fails the run:
 * a test that skips where its prerequisite is missing proves nothing, and `.ci/run` installs
 * every prerequisite. A run narrowed with `-t` skips the tests it leaves out, so it is exempt.
 */
export default class SkippedTestGuard implements Reporter {
  private filtered = false;

  onInit(vitest: Vitest): void {
    this.filtered = vitest.config.testNamePattern !== undefined;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (this.filtered) return;
    const skipped = testModules.flatMap((module) => [...module.children.allTests('skipped')].map((test) => `${module.relativeModuleId} > ${test.fullName}`));
    if (skipped.length === 0) return;
    console.error(`\nCI=true: ${skipped.length} skipped test(s) fail the run (install what they need; see .ci/run):\n  ${skipped.join('\n  ')}\n`);
    process.exitCode = 1;
  }
}
