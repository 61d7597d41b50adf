import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS, AGENT_PROCESS_ENV } from '../../../agent/agentProcessTuning.js';
import { repoRoot } from '../../helpers/paths.js';

/**
 * No Docker engine runs here, so Dockerfile.arm64 is checked by reading it: one instruction per
 * logical line (continuations joined, comments dropped), grouped by build stage.
 */

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly name: string;
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

function instructions(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  return logical
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

function stages(all: readonly Instruction[]): Stage[] {
  const result: Array<{ name: string; from: string; instructions: Instruction[] }> = [];
  for (const instruction of all) {
    if (instruction.keyword === 'FROM') {
      const name = /\bAS\s+(\S+)/i.exec(instruction.args)?.[1] ?? String(result.length);
      result.push({ name, from: instruction.args, instructions: [] });
    } else {
      result.at(-1)?.instructions.push(instruction);
    }
  }
  return result;
}

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile.arm64'), 'utf8');
const all = instructions(dockerfile);
const built = stages(all);
const runtime = built.at(-1)!;
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const argDefault = (name: string) => all.find((i) => i.keyword === 'ARG' && i.args.startsWith(`${name}=`))?.args.split('=')[1];

/** COPY sources from the build context (not --from=stage), flags dropped. */
function contextSources(): string[] {
  return built.flatMap((stage) =>
    of(stage, 'COPY')
      .filter((copy) => !/--from=/.test(copy.args))
      .flatMap((copy) => {
        const words = copy.args.split(/\s+/).filter((w) => !w.startsWith('--'));
        return words.slice(0, -1);
      }),
  );
}

describe('Dockerfile.arm64', () => {
  it('runs the arch-independent stages on the build platform and only the runtime on the target, from a BASE_IMAGE argument', () => {
    expect(built.map((s) => s.name)).toEqual(['target-node', 'deps', 'build', 'runtime']);
    for (const name of ['deps', 'build']) expect(built.find((s) => s.name === name)!.from).toBe(`--platform=$BUILDPLATFORM \${BUILD_BASE_IMAGE} AS ${name}`);
    // the target's: `--platform linux/arm64` builds an arm64 runtime
    expect(runtime.from).toBe('--platform=$TARGETPLATFORM ${BASE_IMAGE} AS runtime');
    expect(argDefault('BASE_IMAGE')).toBe('node:${NODE_VERSION}-bookworm-slim');
    expect(argDefault('BUILD_BASE_IMAGE')).toBe('${BASE_IMAGE}');
    const node = Number(argDefault('NODE_VERSION'));
    // even majors are the LTS lines; 24 is the newest better-sqlite3 12 supports
    expect(node % 2).toBe(0);
    expect(node).toBeGreaterThanOrEqual(24);
  });

  it('cross-compiles the native module on the build platform against the Node headers of the runtime image, production dependencies only', () => {
    const deps = built.find((s) => s.name === 'deps')!;
    const install = of(deps, 'RUN')
      .map((r) => r.args)
      .join('\n');
    expect(install).toMatch(/arm64\) triplet=aarch64-linux-gnu/);
    expect(install).toMatch(/apt-get install -y --no-install-recommends python3 make "\$compiler"/);
    expect(install).toMatch(/export CC="\$triplet-gcc" CXX="\$triplet-g\+\+"/);
    expect(install).toMatch(/npm_config_arch="\$cpu"/);
    expect(install).toMatch(/npm ci --omit=dev --cpu="\$cpu" --os=linux --libc=glibc\b/);
    // the built module is checked to be the target's machine code (ELF e_machine 183: aarch64)
    expect(install).toContain('arm64:183');
    expect(of(deps, 'COPY').map((c) => c.args)).toContain('--from=target-node /usr/local/include/node /opt/target-node/include/node');
    const depsEnv = of(deps, 'ENV')
      .map((e) => e.args)
      .join(' ');
    expect(depsEnv).toContain('ONNXRUNTIME_NODE_INSTALL=skip');
    expect(depsEnv).toContain('npm_config_build_from_source=true');
    expect(depsEnv).toContain('npm_config_nodedir=/opt/target-node');
    // the target-node stage is only copied from: nothing runs on the target but the runtime's apt-get
    expect(built.find((s) => s.name === 'target-node')!.instructions).toEqual([]);
    // the runtime takes node_modules from the production install, never from the dev install
    const copies = of(runtime, 'COPY').map((c) => c.args);
    expect(copies).toContain('--from=deps /app/node_modules ./node_modules');
    expect(copies.filter((c) => c.includes('node_modules'))).toHaveLength(1);
    const runtimeRuns = of(runtime, 'RUN')
      .map((r) => r.args)
      .join('\n');
    expect(runtimeRuns).not.toMatch(/\b(npm (ci|install)|g\+\+|gcc|make|python3)\b/);
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    expect(manifest.allowScripts?.['onnxruntime-node']).toBe(false);
  });

  it('takes the proxy CA bundle only as a build secret, never into a layer or the environment', () => {
    const caMentions = all.filter((i) => i.args.includes('NODE_EXTRA_CA_CERTS') || i.args.includes('ca-bundle'));
    expect(caMentions.length).toBeGreaterThan(0);
    for (const instruction of caMentions) {
      expect(instruction.keyword).toBe('RUN');
      expect(instruction.args).toMatch(/^--mount=type=secret,id=ca-bundle /);
    }
    expect(runtime.instructions.some((i) => i.args.includes('ca-bundle'))).toBe(false);
  });

  it("runs as a non-root user under tini, with Debian's ffmpeg", () => {
    const users = of(runtime, 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]!.args).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime.instructions.at(-1)?.keyword).toBe('CMD');
    expect(runtime.instructions.indexOf(users[0]!)).toBeGreaterThan(runtime.instructions.findLastIndex((i) => i.keyword === 'RUN'));
    const runs = of(runtime, 'RUN')
      .map((r) => r.args)
      .join('\n');
    expect(runs).toMatch(/apt-get install -y --no-install-recommends ffmpeg tini ca-certificates/);
    expect(runs).toMatch(/useradd --system --uid 10001/);
    expect(of(runtime, 'ENTRYPOINT')[0]?.args).toMatch(/^\["\/usr\/bin\/tini", "--", "node", /);
    expect(JSON.parse(of(runtime, 'ENTRYPOINT')[0]?.args ?? 'null')).toEqual(['/usr/bin/tini', '--', 'node', ...AGENT_NODE_FLAGS, '/app/dist/agent/main.js']);
    expect(of(runtime, 'STOPSIGNAL')[0]?.args).toBe('SIGTERM');
    expect(
      of(runtime, 'ENV')
        .map((e) => e.args)
        .join(' '),
    ).toContain('FFMPEG_PATH=/usr/bin/ffmpeg');
    const env = of(runtime, 'ENV')
      .map((e) => e.args)
      .join(' ')
      .split(/\s+/);
    for (const [name, setting] of Object.entries(AGENT_PROCESS_ENV)) expect(env).toContain(`${name}=${setting}`);
  });

  it('checks /healthz with node (the image has no curl)', () => {
    const health = of(runtime, 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    expect(health[0]!.args).toMatch(/CMD \["node", "-e", ".*\/healthz/);
    expect(health[0]!.args).not.toMatch(/curl|wget/);
    expect(health[0]!.args).toMatch(/--start-period=\d+s/);
  });

  it('lets the fetch give up before the engine kills the check, with seconds to spare for a slow Node start', () => {
    const args = of(runtime, 'HEALTHCHECK')[0]!.args;
    const engineTimeoutS = Number(/--timeout=(\d+)s/.exec(args)?.[1]);
    const fetchTimeoutMs = Number(/AbortSignal\.timeout\((\d+)\)/.exec(args)?.[1]);
    expect(fetchTimeoutMs).toBeGreaterThan(0);
    // Node 20 starts in ~1 s on a Pi 4 at rest; under QEMU a start took more than 5 s.
    expect(engineTimeoutS * 1000 - fetchTimeoutMs).toBeGreaterThanOrEqual(5000);
    expect(engineTimeoutS).toBeLessThan(30);
  });

  it('writes ENTRYPOINT, CMD and the health check in exec form (Docker silently runs invalid JSON through a shell)', () => {
    const execForm = [...of(runtime, 'ENTRYPOINT'), ...of(runtime, 'CMD'), ...of(runtime, 'HEALTHCHECK')].map((i) =>
      i.keyword === 'HEALTHCHECK' ? i.args.slice(i.args.indexOf('CMD ') + 4) : i.args,
    );
    expect(execForm).toHaveLength(3);
    for (const form of execForm) expect(Array.isArray(JSON.parse(form))).toBe(true);
    expect(JSON.parse(of(runtime, 'CMD')[0]!.args)).toEqual(['run', '--config', '/etc/c5-agent/site.yaml']);
  });

  it('keeps state and config in volumes, and pulled models in the state volume (read-only root)', () => {
    const volume = of(runtime, 'VOLUME')[0]?.args ?? '';
    expect(JSON.parse(volume)).toEqual(['/var/lib/c5-agent', '/etc/c5-agent']);
    const runs = of(runtime, 'RUN')
      .map((r) => r.args)
      .join('\n');
    expect(runs).toContain('ln -s /var/lib/c5-agent/models /app/models/cache');
    expect(runs).toMatch(/chown -R c5-agent:c5-agent \/var\/lib\/c5-agent/);
  });

  it('copies no model weights, media, local state or secrets, and nothing wholesale', () => {
    const sources = contextSources();
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(source).not.toMatch(/^\.\/?$/);
      expect(source).not.toMatch(/cache|media|\.onnx$|\.pem$|\.key$|\.env|secret|\.state|node_modules|dist/);
    }
    expect(sources.filter((s) => s.startsWith('models'))).toEqual(['models/registry.json', 'models/README.md', 'models/labels']);
    expect(dockerfile).not.toMatch(/^\s*(ENV|ARG)\s+\S*(PASSWORD|TOKEN|SECRET)\S*=/im);
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));

  it('denies by default and keeps weights, keys and env files out even inside allowed folders', () => {
    expect(lines[0]).toBe('*');
    const lastAllow = lines.findLastIndex((l) => l.startsWith('!'));
    const denials = lines.slice(lastAllow + 1);
    for (const pattern of ['**/cache/', '**/*.onnx', '**/*.pem', '**/*.key', '**/.env*']) expect(denials).toContain(pattern);
    for (const entry of allowed) expect(entry).not.toMatch(/cache|media|secret|\.env|node_modules|dist|test/);
  });

  it('lets through every file the Dockerfile copies from the context', () => {
    for (const source of contextSources()) {
      const ok = allowed.some((entry) => source === entry || source.startsWith(`${entry}/`));
      expect(ok, `${source} is copied but .dockerignore keeps it out of the context`).toBe(true);
    }
  });
});
