import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/paths.js';

const doc = readFileSync(join(repoRoot, 'docs', 'ARCHITECTURE.md'), 'utf8');

/** Every `code span` of the document. */
const spans = [...doc.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]!);

const TOP_FOLDERS = ['agent', 'pipelines', 'config', 'models', 'scripts', 'bench', 'test', 'docs'];

/** "Where to add" names the files a contributor creates as `yourType.ts`, `<area>/...`: not references. */
const isPlaceholder = (span: string): boolean => /(^|\/)your[A-Z]|<|\.\.\./.test(span);

/** Every file under the source folders, relative to the repository root. */
function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else files.push(join(dir, entry.name));
    }
  };
  for (const folder of ['agent', 'pipelines', 'scripts', 'bench', 'test']) walk(folder);
  return files;
}

describe('docs/ARCHITECTURE.md', () => {
  it('names only paths that exist in the repository', () => {
    const paths = spans.filter((span) => TOP_FOLDERS.some((folder) => span.startsWith(`${folder}/`)) && !isPlaceholder(span));
    // The document cites files by path throughout; a count this low means the pattern broke.
    expect(paths.length).toBeGreaterThan(100);
    const missing = paths.filter((path) => !existsSync(join(repoRoot, path.replace(/\/$/, ''))));
    expect(missing).toEqual([]);
  });

  it('names only source files that exist somewhere, when it names them without their folder', () => {
    const bare = spans.filter((span) => /^[A-Za-z][\w.]*\.ts$/.test(span) && !isPlaceholder(span));
    expect(bare.length).toBeGreaterThan(20);
    const names = new Set(sourceFiles().map((file) => file.slice(file.lastIndexOf('/') + 1)));
    expect(bare.filter((name) => !names.has(name))).toEqual([]);
  });

  it('is what source comments cite, not a DESIGN.md the repository does not have', () => {
    expect(existsSync(join(repoRoot, 'DESIGN.md'))).toBe(false);
    const self = join('test', 'unit', 'docs', 'architecture.test.ts');
    const code = sourceFiles().filter((file) => file !== self && /\.(ts|mjs)$/.test(file));
    const citing = code.filter((file) => readFileSync(join(repoRoot, file), 'utf8').includes('DESIGN.md'));
    expect(citing).toEqual([]);
  });
});
