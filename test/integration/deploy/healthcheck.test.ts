import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer } from '../../../agent/observe/HttpServer.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { freePort } from '../../helpers/freePort.js';
import { repoRoot } from '../../helpers/paths.js';

/** The exec-form command of Dockerfile.arm64's HEALTHCHECK, run here with this machine's node. */
function healthcheckCommand(): string[] {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile.arm64'), 'utf8').replace(/\\\n\s*/g, '');
  const line = dockerfile.split('\n').find((l) => l.startsWith('HEALTHCHECK '));
  if (!line) throw new Error('Dockerfile.arm64 has no HEALTHCHECK');
  return JSON.parse(line.slice(line.indexOf('CMD ') + 4)) as string[];
}

/** Spawned, not spawnSync: the server under test lives in this process and must keep answering. */
function runHealthcheck(port: number): Promise<number | null> {
  const [binary, ...args] = healthcheckCommand();
  expect(binary).toBe('node');
  const child = spawn(process.execPath, args, { env: { ...process.env, C5_HEALTHCHECK_PORT: String(port) }, stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("Dockerfile.arm64's HEALTHCHECK against the agent's endpoint", () => {
  const server = new HttpServer({
    port: 0,
    registry: new Registry(),
    readiness: () => ({ ready: false, reasons: ['no_camera_online'] }),
    logger: createRootLogger({ level: 'silent' }),
  });
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('passes while /healthz answers, even when the agent is not ready', async () => {
    expect(await runHealthcheck(server.address.port)).toBe(0);
  });

  it('fails when nothing answers', async () => {
    expect(await runHealthcheck(await freePort())).toBe(1);
  });
});
