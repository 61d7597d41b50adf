import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findOnPath, resolveFfmpegPath } from '../../../../agent/ingest/resolveFfmpegPath.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { IngestError } from '../../../../pipelines/errors.js';

let dir: string;
let logs: string[];
const logger = () => createRootLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } });

function fakeExe(path: string, mode = 0o755): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, mode);
  return path;
}

function caught(fn: () => unknown): IngestError {
  try {
    fn();
  } catch (error) {
    if (error instanceof IngestError) return error;
    throw error;
  }
  throw new Error('expected an IngestError');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c5-ffmpeg-'));
  logs = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveFfmpegPath', () => {
  it('prefers the configured path over FFMPEG_PATH and PATH', () => {
    const configured = fakeExe(join(dir, 'cfg', 'ffmpeg'));
    const fromEnv = fakeExe(join(dir, 'env', 'ffmpeg'));
    fakeExe(join(dir, 'bin', 'ffmpeg'));
    const env = { FFMPEG_PATH: fromEnv, PATH: join(dir, 'bin') };
    expect(resolveFfmpegPath({ configured, env, logger: logger() })).toBe(configured);
    expect(resolveFfmpegPath({ env, logger: logger() })).toBe(fromEnv);
  });

  it('searches PATH directories in order, skipping non-executables, directories and relative entries', () => {
    fakeExe(join(dir, 'a', 'ffmpeg'), 0o644);
    mkdirSync(join(dir, 'b', 'ffmpeg'), { recursive: true });
    const good = fakeExe(join(dir, 'c', 'ffmpeg'));
    fakeExe(join(dir, 'd', 'ffmpeg'));
    const PATH = ['', 'relative/bin', join(dir, 'a'), join(dir, 'b'), join(dir, 'missing'), join(dir, 'c'), join(dir, 'd')].join(delimiter);
    expect(resolveFfmpegPath({ env: { PATH }, logger: logger(), bundled: () => undefined })).toBe(good);
    expect(findOnPath('ffmpeg', undefined)).toBeUndefined();
  });

  it('resolves a configured bare name on PATH and a relative path to an absolute one', () => {
    const onPath = fakeExe(join(dir, 'bin', 'ffmpeg-6'));
    expect(resolveFfmpegPath({ configured: 'ffmpeg-6', env: { PATH: join(dir, 'bin') }, logger: logger() })).toBe(onPath);
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      expect(resolveFfmpegPath({ configured: './bin/ffmpeg-6', env: {}, logger: logger() })).toBe(onPath);
    } finally {
      process.chdir(cwd);
    }
  });

  it('names the path and its origin when an explicit setting is wrong, without falling through', () => {
    fakeExe(join(dir, 'bin', 'ffmpeg'));
    const env = { PATH: join(dir, 'bin') };
    const missing = caught(() => resolveFfmpegPath({ configured: join(dir, 'nope', 'ffmpeg'), env, logger: logger() }));
    expect(missing.code).toBe('ffmpeg_not_found');
    expect(missing.message).toContain(join(dir, 'nope', 'ffmpeg'));
    expect(missing.message).toContain('site config');

    const notExec = fakeExe(join(dir, 'plain', 'ffmpeg'), 0o644);
    const bad = caught(() => resolveFfmpegPath({ env: { ...env, FFMPEG_PATH: notExec }, logger: logger() }));
    expect(bad.code).toBe('ffmpeg_not_executable');
    expect(bad.message).toContain(notExec);
    expect(bad.message).toContain('FFMPEG_PATH');

    const isDir = caught(() => resolveFfmpegPath({ env: { ...env, FFMPEG_PATH: join(dir, 'bin') }, logger: logger() }));
    expect(isDir.code).toBe('ffmpeg_not_executable');
  });

  it('falls back to the bundled build with a warning', () => {
    const bundled = fakeExe(join(dir, 'npm', 'ffmpeg'));
    expect(resolveFfmpegPath({ env: { PATH: join(dir, 'empty') }, logger: logger(), bundled: () => bundled })).toBe(bundled);
    const warning = logs.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 40);
    expect(warning?.msg).toMatch(/old static build.*OS ffmpeg package/);
  });

  it('finds the real optional npm dependency when nothing else is there', () => {
    const path = resolveFfmpegPath({ env: {}, logger: logger() });
    expect(path).toMatch(/@ffmpeg-installer/);
  });

  it('explains how to install ffmpeg when none is found', () => {
    const error = caught(() => resolveFfmpegPath({ env: { PATH: join(dir, 'empty') }, logger: logger(), bundled: () => undefined }));
    expect(error.code).toBe('ffmpeg_not_found');
    expect(error.message).toContain('apt-get install ffmpeg');
    expect(error.message).toContain('FFMPEG_PATH');
    expect(error.message).toContain('ffmpegPath');
  });
});
