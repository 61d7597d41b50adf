import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/globalSetup.ts'],
    setupFiles: ['test/helpers/isolateOutbox.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Integration tests start real ffmpeg, Mosquitto and RTSP processes on a 2-core machine;
    // running them one file at a time keeps their timing honest.
    fileParallelism: false,
    // Under CI=true a skipped test fails the run: nothing may pass by not running.
    reporters: process.env['CI'] === 'true' ? ['default', './test/helpers/SkippedTestGuard.ts'] : ['default'],
  },
});
