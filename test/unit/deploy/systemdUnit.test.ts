import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS, AGENT_PROCESS_ENV } from '../../../agent/agentProcessTuning.js';
import { repoRoot } from '../../helpers/paths.js';
import { requirePrerequisite, skipUnlessAvailable } from '../../helpers/prerequisites.js';

const unitPath = join(repoRoot, 'config', 'systemd', 'c5-agent.service');
const unitText = readFileSync(unitPath, 'utf8');

/** section -> key -> values (a key may repeat, e.g. Environment=) */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`not a key=value line outside a section: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

const unit = parseUnit(unitText);
const value = (section: string, key: string): string | undefined => unit.get(section)?.get(key)?.at(-1);

describe('config/systemd/c5-agent.service', () => {
  it('runs the agent as its own unprivileged user with state and config directories', () => {
    expect(value('Service', 'User')).toBe('c5-agent');
    expect(value('Service', 'Group')).toBe('c5-agent');
    expect(value('Service', 'ExecStart')).toMatch(/dist\/agent\/main\.js run --config \/etc\/c5-agent\/site\.yaml$/);
    expect(value('Service', 'StateDirectory')).toBe('c5-agent');
    expect(value('Service', 'ConfigurationDirectory')).toBe('c5-agent');
    const sysusers = readFileSync(join(repoRoot, 'config', 'systemd', 'c5-agent.sysusers.conf'), 'utf8');
    expect(sysusers).toMatch(/^u c5-agent - "[^"]+" \/var\/lib\/c5-agent \/usr\/sbin\/nologin$/m);
  });

  it("starts node with the agent's flags and environment (agentProcessTuning.ts)", () => {
    expect(value('Service', 'ExecStart')).toBe(
      `/usr/bin/node ${AGENT_NODE_FLAGS.join(' ')} /opt/c5-agent/dist/agent/main.js run --config /etc/c5-agent/site.yaml`,
    );
    const environment = unit.get('Service')?.get('Environment') ?? [];
    for (const [name, setting] of Object.entries(AGENT_PROCESS_ENV)) expect(environment).toContain(`${name}=${setting}`);
  });

  it('is hardened', () => {
    const expected: Record<string, string> = {
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectControlGroups: 'yes',
      RestrictSUIDSGID: 'yes',
      CapabilityBoundingSet: '',
      SystemCallFilter: '@system-service',
      // ffmpeg 5.1 takes a camera URL (and its credentials) only in its argv: other users of the
      // box must not see the agent's processes in /proc (ps, top)
      ProtectProc: 'invisible',
    };
    for (const [key, want] of Object.entries(expected)) expect(value('Service', key), key).toBe(want);
    // V8 needs W+X pages; this must stay off
    expect(value('Service', 'MemoryDenyWriteExecute')).toBeUndefined();
  });

  it('restarts always, with a start limit, and leaves the agent its 10 s to stop on SIGTERM', () => {
    expect(value('Service', 'Restart')).toBe('always');
    expect(Number(value('Unit', 'StartLimitIntervalSec'))).toBeGreaterThan(0);
    expect(Number(value('Unit', 'StartLimitBurst'))).toBeGreaterThan(0);
    expect(value('Service', 'KillSignal')).toBe('SIGTERM');
    // reload is SIGHUP to the agent alone, which re-reads its config instead of dying
    expect(value('Service', 'ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(value('Service', 'KillMode')).toBe('mixed');
    expect(Number(value('Service', 'TimeoutStopSec'))).toBeGreaterThanOrEqual(10);
    expect(value('Install', 'WantedBy')).toBe('multi-user.target');
  });

  it('does not wait for the network to start (the agent runs without one)', () => {
    expect(unit.get('Unit')?.get('Wants') ?? []).not.toContain('network-online.target');
    expect(value('Unit', 'After')).toBe('network.target');
  });

  const analyze = '/usr/bin/systemd-analyze';
  it.skipIf(skipUnlessAvailable(existsSync(analyze)))('passes systemd-analyze verify (every key known, every value parsed)', (ctx) => {
    requirePrerequisite(ctx, existsSync(analyze), `${analyze} is not installed (Debian package systemd)`);
    // verify also checks that ExecStart's binary exists: point it at this machine's node
    const dir = mkdtempSync(join(tmpdir(), 'c5-unit-'));
    const copy = join(dir, 'c5-agent.service');
    writeFileSync(copy, unitText.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`));
    const result = spawnSync(analyze, ['verify', '--man=no', copy], { encoding: 'utf8', timeout: 30_000 });
    const output = `${result.stdout}${result.stderr}`;
    expect(result.status, output).toBe(0);
    expect(output).not.toMatch(/Unknown key|Failed to parse/);
  });
});
