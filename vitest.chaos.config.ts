import { defineConfig } from 'vitest/config';

/**
 * `npm run chaos`: the delivery scenarios of test/integration/outbox/chaos.test.ts at more kills,
 * one summary line per scenario on stdout. Not part of `npm test` (it takes a minute or more).
 */
export default defineConfig({
  test: {
    include: ['test/integration/outbox/chaos.run.ts'],
    setupFiles: ['test/helpers/isolateOutbox.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    // the scenario lines go straight to the terminal, not into vitest's per-test log blocks
    disableConsoleIntercept: true,
    reporters: ['dot'],
  },
});
