import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../helpers/runCli.js';

/**
 * Issue 14: every command and subcommand answers --help (exit 0, usage on stdout), and a mistyped
 * flag on each is a usage error (exit 2) that names the flag, suggests the right one where there
 * is one, and prints no stack trace. The list below is the documented command set (README,
 * operator guide), written by hand: a command added without help or documentation fails here.
 */
interface LeafCommand {
  readonly path: readonly string[];
  /** a real long flag of this command and a typo of it */
  readonly flag: string;
  readonly typo: string;
}

const LEAVES: readonly LeafCommand[] = [
  { path: ['run'], flag: '--config', typo: '--confg' },
  { path: ['config', 'validate'], flag: '--trusted', typo: '--trsted' },
  { path: ['config', 'sign'], flag: '--expires-in', typo: '--expire-in' },
  { path: ['keys', 'generate'], flag: '--key-id', typo: '--keyid' },
  { path: ['demo'], flag: '--duration', typo: '--duraton' },
  { path: ['models', 'pull'], flag: '--help', typo: '--hlep' },
  { path: ['audit', 'verify'], flag: '--checkpoints', typo: '--checkpoint' },
  { path: ['audit', 'explain'], flag: '--dir', typo: '--dri' },
  { path: ['replay'], flag: '--input', typo: '--inptu' },
  { path: ['consume'], flag: '--broker', typo: '--brokr' },
  { path: ['doctor'], flag: '--camera-timeout', typo: '--camera-timout' },
  { path: ['snapshot'], flag: '--detect', typo: '--detcet' },
  { path: ['capacity'], flag: '--seconds', typo: '--secnds' },
  { path: ['fleet', 'render'], flag: '--site', typo: '--stie' },
  { path: ['fleet', 'validate'], flag: '--repo', typo: '--rpeo' },
  { path: ['fleet', 'push'], flag: '--wave-deadline', typo: '--wave-dedline' },
  { path: ['fleet', 'status'], flag: '--settle', typo: '--setle' },
  { path: ['fleet', 'plan'], flag: '--state', typo: '--stat' },
];
const GROUPS = ['config', 'keys', 'models', 'audit', 'fleet'];

/** A Node stack frame ("    at fn (file.js:1:2)") or a Node error code means the CLI crashed instead of answering. */
function expectNoCrash(result: CliResult): void {
  const both = result.stdout + result.stderr;
  expect(both).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(both).not.toMatch(/ERR_[A-Z_]+/);
  expect(result.signal).toBeNull();
}

describe('c5-agent --help and usage errors', () => {
  it('lists exactly the documented top-level commands', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    const listed = [...help.stdout.matchAll(/^ {2}([a-z]+)\b(?: \[options\]| \[command\])*(?: <[^>]+>| \[[^\]]+\])*\s{2,}/gm)].map((m) => m[1]);
    const documented = [...new Set([...LEAVES.map((leaf) => leaf.path[0]!), 'help'])];
    expect([...listed].sort()).toEqual([...documented].sort());
  });

  it.each(GROUPS)('%s --help lists its subcommands and exits 0', async (group) => {
    const result = await runCli([group, '--help']);
    expectNoCrash(result);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: c5-agent ${group} [options] [command]`);
    for (const leaf of LEAVES.filter((l) => l.path[0] === group)) expect(result.stdout).toMatch(new RegExp(`^ {2}${leaf.path[1]}\\b`, 'm'));
  });

  it.each(LEAVES.map((leaf) => [leaf.path.join(' '), leaf] as const))('%s --help prints its usage and exits 0, doing nothing else', async (_, leaf) => {
    const result = await runCli([...leaf.path, '--help'], { timeoutMs: 15_000 });
    expectNoCrash(result);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: c5-agent ${leaf.path.join(' ')} [options]`);
    expect(result.stdout).toContain(leaf.flag);
    expect(result.stderr).toBe('');
  });

  it.each(LEAVES.map((leaf) => [leaf.path.join(' '), leaf] as const))('%s with a mistyped flag is a usage error (2) with a suggestion', async (_, leaf) => {
    const result = await runCli([...leaf.path, leaf.typo, 'x'], { timeoutMs: 15_000 });
    expectNoCrash(result);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`error: unknown option '${leaf.typo}'`);
    expect(result.stderr).toContain(`(Did you mean ${leaf.flag}?)`);
  });

  it('answers a mistyped command with a suggestion, a missing argument and a bad value with exit 2', async () => {
    const typo = await runCli(['replya']);
    expectNoCrash(typo);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("error: unknown command 'replya'");
    expect(typo.stderr).toContain('(Did you mean replay?)');

    const sub = await runCli(['audit', 'verfy']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('(Did you mean verify?)');

    const missing = await runCli(['config', 'validate']);
    expectNoCrash(missing);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: missing required argument 'file'");

    const required = await runCli(['run']);
    expect(required.code).toBe(2);
    expect(required.stderr).toContain("error: required option '-c, --config <file>' not specified");

    const value = await runCli(['demo', '--duration', 'soon']);
    expectNoCrash(value);
    expect(value.code).toBe(2);
    expect(value.stderr).toContain("argument 'soon' is invalid");

    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: c5-agent');
  });

  it('prints the version from package.json', async () => {
    const { readFileSync } = await import('node:fs');
    const { repoRoot } = await import('../../helpers/paths.js');
    const { version } = JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = await runCli([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${version}\n`);
    }
  });
});
