import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureH264Clip, H264_CLIP_ENV } from './h264Clip.js';
import { clipPath } from './paths.js';

/** Runs once per `vitest run`, before any test file: prepares media shared by integration tests. */
export default async function setup(project: TestProject): Promise<void> {
  // Agents started by tests that name no audit folder write here, never to /var/lib/c5-agent/audit.
  process.env['C5_AUDIT_DIR'] ??= mkdtempSync(join(tmpdir(), 'c5-test-audit-'));
  try {
    const h264 = await ensureH264Clip(clipPath);
    process.env[H264_CLIP_ENV] = h264;
    project.provide('h264ClipPath', h264);
    project.provide('h264ClipError', '');
  } catch (error) {
    // Unit tests need no media: a box without ffmpeg/libx264 still runs them, and the tests
    // that do need the clip fail with this reason instead of every file failing here.
    const reason = error instanceof Error ? error.message : String(error);
    project.provide('h264ClipPath', '');
    project.provide('h264ClipError', reason);
  }
}
