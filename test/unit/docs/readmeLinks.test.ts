import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/paths.js';

/**
 * The README and docs/ link to each other and into their own headings; GitHub shows a broken one
 * as a dead link or a jump to nowhere, so every relative target and every #anchor is checked here.
 */

/** The document's lines outside fenced code blocks (a `# comment` in a shell block is no heading). */
function proseLines(text: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of text.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker !== undefined) {
      if (fence === undefined) fence = marker;
      else if (marker.startsWith(fence)) fence = undefined;
      continue;
    }
    if (fence === undefined) lines.push(line);
  }
  return lines;
}

/**
 * GitHub's heading anchor (github-slugger): the rendered text lower-cased, every character that
 * is not a letter, mark, digit, connector (`_`), hyphen or space removed, each space a hyphen;
 * the second heading with the same slug gets `-1`, the third `-2`.
 */
function githubSlug(heading: string): string {
  const rendered = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const line of proseLines(text)) for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  return anchors;
}

/** Inline link targets `[text](target)` in prose, code spans excluded. */
function linkTargets(text: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(text)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) targets.push(match[1]!);
  }
  return targets;
}

/** The README and every Markdown file under docs/, relative to the repository root. */
function documents(): string[] {
  const docs = readdirSync(join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name));
  return ['README.md', ...docs];
}

interface BrokenLink {
  file: string;
  target: string;
  problem: string;
}

function brokenLinks(file: string): BrokenLink[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const broken: BrokenLink[] = [];
  for (const target of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:: not this test's business
    const hash = target.indexOf('#');
    const pathPart = hash === -1 ? target : target.slice(0, hash);
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved = pathPart === '' ? join(repoRoot, file) : join(repoRoot, dirname(file), decodeURIComponent(pathPart));
    if (relative(repoRoot, resolved).startsWith('..')) {
      broken.push({ file, target, problem: 'points outside the repository' });
      continue;
    }
    if (!existsSync(resolved)) {
      broken.push({ file, target, problem: 'no such file' });
      continue;
    }
    if (anchor === undefined) continue;
    if (!resolved.endsWith('.md') || statSync(resolved).isDirectory()) {
      broken.push({ file, target, problem: 'an anchor into something that is not a Markdown file' });
    } else if (!anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
      broken.push({ file, target, problem: 'no heading with this anchor' });
    }
  }
  return broken;
}

describe('githubSlug', () => {
  // Expected anchors worked out by hand from GitHub's rules (lower case, punctuation dropped,
  // spaces to hyphens), as GitHub renders these headings.
  it('makes the anchors GitHub makes', () => {
    expect(githubSlug('Install on a box (Debian 12 / Raspberry Pi OS / Ubuntu)')).toBe('install-on-a-box-debian-12--raspberry-pi-os--ubuntu');
    expect(githubSlug('Reload (SIGHUP)')).toBe('reload-sighup');
    expect(githubSlug('Check the box (`doctor`)')).toBe('check-the-box-doctor');
    expect(githubSlug('Stats over MQTT: `c5.stats.v1`')).toBe('stats-over-mqtt-c5statsv1');
    expect(githubSlug('snake_case and a-hyphen')).toBe('snake_case-and-a-hyphen');
    expect(githubSlug('See [the guide](docs/X.md) now')).toBe('see-the-guide-now');
  });

  it('numbers repeated headings and ignores headings in code blocks', () => {
    const anchors = anchorsOf('# Top\n## Example\n```sh\n# not a heading\n```\n## Example\n### Example\n');
    expect([...anchors]).toEqual(['top', 'example', 'example-1', 'example-2']);
  });
});

describe('README.md and docs/*.md links', () => {
  it('finds the documents and their links (a count this low means the pattern broke)', () => {
    const docs = documents();
    expect(docs).toContain('docs/PERFORMANCE.md');
    const readmeLinks = linkTargets(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
    expect(readmeLinks.filter((target) => target.startsWith('#')).length).toBeGreaterThan(30);
    expect(readmeLinks.filter((target) => target.startsWith('docs/')).length).toBeGreaterThan(3);
  });

  it('reports a missing file and a missing anchor', () => {
    const anchors = anchorsOf('## Operator guide\n');
    expect(anchors.has('operator-guide')).toBe(true);
    expect(anchors.has('fleet-guide')).toBe(false);
    expect(linkTargets('see [a](#x) and `[b](#y)` and [c](docs/Z.md#w "title")')).toEqual(['#x', 'docs/Z.md#w']);
  });

  it.each(documents())('%s: every relative link and #anchor resolves', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });
});

describe('README.md and docs/*.md paths', () => {
  const TOP_FOLDERS = ['agent', 'pipelines', 'config', 'models', 'scripts', 'bench', 'test', 'docs', '.ci'];
  // MQTT topic suffixes the text names on their own, not files.
  const TOPICS = new Set(['config/state', 'config/push']);
  const isPattern = (span: string): boolean => /[*<{]|\.\.\./.test(span);

  // docs/ARCHITECTURE.md has its own, stricter check (architecture.test.ts).
  const checked = documents().filter((file) => file !== join('docs', 'ARCHITECTURE.md'));

  it.each(checked)('%s: every `path` in a code span exists (git-ignored output aside)', (file) => {
    const gitignored = readFileSync(join(repoRoot, '.gitignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim().replace(/\/$/, ''))
      .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('*'));
    const text = readFileSync(join(repoRoot, file), 'utf8');
    const paths = [...text.matchAll(/`([^`\n]+)`/g)]
      .map((match) => match[1]!)
      .filter((span) => TOP_FOLDERS.some((folder) => span.startsWith(`${folder}/`)) && !/\s/.test(span) && !isPattern(span) && !TOPICS.has(span))
      .map((span) => span.replace(/\/$/, ''))
      .filter((path) => !gitignored.some((entry) => path === entry || path.startsWith(`${entry}/`)));
    expect(paths.filter((path) => !existsSync(join(repoRoot, path)))).toEqual([]);
  });
});

describe('README.md Layout table', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const gitignore = readFileSync(join(repoRoot, '.gitignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const ignored = (path: string): boolean => gitignore.some((entry) => entry.replace(/\/$/, '') === path);
  const listed = [...readme.matchAll(/^\| `([^`]+)\/` \|/gm)].map((match) => match[1]!);

  it('names folders that exist (build output aside)', () => {
    expect(listed.length).toBeGreaterThan(8);
    expect(listed.filter((folder) => !ignored(folder) && !existsSync(join(repoRoot, folder)))).toEqual([]);
  });

  // Hidden folders are left out: editors and tools make their own (.git, .vscode) on a working box.
  it('names every top-level folder that holds more than git-ignored output', () => {
    const folders = readdirSync(repoRoot, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !ignored(entry.name))
      .map((entry) => entry.name)
      .filter((name) => readdirSync(join(repoRoot, name)).some((child) => !ignored(`${name}/${child}`)));
    expect(folders.filter((folder) => !listed.includes(folder))).toEqual([]);
  });
});
