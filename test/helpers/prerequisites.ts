import type { TestContext } from 'vitest';

/**
 * Tests that need something this machine may lack (a binary, the right to mount a tmpfs) skip
 * on a developer's machine, saying why. Under `CI=true` nothing is skipped: `.ci/run` installs
 * what they need, so a missing prerequisite there is a broken CI machine and fails the test.
 */
export const inCi = process.env['CI'] === 'true';

/** For `it.skipIf` / `describe.skipIf`: skip only off CI; in CI the test runs and checks `requirePrerequisite` first. */
export function skipUnlessAvailable(available: boolean): boolean {
  return !available && !inCi;
}

/**
 * Inside a test: `prerequisite` is what the test needs (a mount point, `true` for a file that
 * exists); when it is missing (null or false) skips the test saying `what`, or under CI=true fails it.
 */
export function requirePrerequisite<T>(ctx: Pick<TestContext, 'skip'>, prerequisite: T | null | false, what: string): asserts prerequisite is T {
  if (prerequisite !== null && prerequisite !== false) return;
  if (inCi) throw new Error(`${what}; under CI=true no test may skip (.ci/run installs what the tests need)`);
  ctx.skip(what);
}
