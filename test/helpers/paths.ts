import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout: the first folder above this file with a package.json (from test/helpers/ and from its build under dist/ alike). */
export const repoRoot = ((): string => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
  }
})();

/** The read-only shared fixtures: C5_SHARED_DIR, else ../shared beside the repo (as CI lays it). */
export const sharedDir = process.env['C5_SHARED_DIR'] ?? resolve(repoRoot, '..', 'shared');
export const sharedModelsDir = join(sharedDir, 'models');
export const sharedMediaDir = join(sharedDir, 'media');
export const clipPath = join(sharedMediaDir, 'vtest.avi');
export const dogPath = join(sharedMediaDir, 'dog.jpg');
export const fixturesDir = join(repoRoot, 'test', 'fixtures');

if (!existsSync(sharedDir)) {
  throw new Error(`shared fixtures not found at ${sharedDir}; set C5_SHARED_DIR`);
}
