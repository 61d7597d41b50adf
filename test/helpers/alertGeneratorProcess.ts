import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './paths.js';

/** One alert the generator reported stored (its outbox had it before anything could send it). */
export interface GeneratedAlert {
  readonly seq: number;
  readonly id: string;
  readonly cameraId: string;
}

export interface AlertGeneratorProcess {
  readonly child: ChildProcess;
  /** the outbox's last seq when this process started */
  readonly startSeq: number;
  /** every alert this process reported stored, in order */
  readonly stored: readonly GeneratedAlert[];
  /** resolves once this process has stored `count` alerts; rejects after timeoutMs or if it exits */
  waitForStored(count: number, timeoutMs: number): Promise<void>;
  pause(): void;
  resume(): void;
  /** SIGKILL: no shutdown code runs, the outbox keeps whatever it held */
  kill(): Promise<void>;
  /** SIGTERM and wait for the graceful shutdown; resolves with the exit code */
  stop(timeoutMs?: number): Promise<number | null>;
  /** the generator's log (pino JSON lines), for failure messages */
  logs(): string;
}

const SCRIPT = join(repoRoot, 'test', 'helpers', 'alertGenerator.mjs');
const LOG_LIMIT = 256 * 1024;
const live = new Set<ChildProcess>();

process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts test/helpers/alertGenerator.mjs (the agent's real outbox, link and delivery from dist/)
 * and resolves once it says `ready`. Needs `npm run build` first, as the CLI tests do.
 */
export async function startAlertGenerator(options: {
  configPath: string;
  rate: number;
  cameras: readonly string[];
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}): Promise<AlertGeneratorProcess> {
  if (!existsSync(join(repoRoot, 'dist', 'agent', 'outbox', 'createAlertDelivery.js'))) {
    throw new Error('dist/ has no createAlertDelivery.js: run `npm run build` first');
  }
  const child = spawn(process.execPath, [SCRIPT, options.configPath, '--rate', String(options.rate), '--cameras', options.cameras.join(',')], {
    cwd: repoRoot,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  const stored: GeneratedAlert[] = [];
  let log = '';
  let startSeq: number | undefined;
  let exited = false;
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const listener of [...listeners]) listener();
  };
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exited = true;
      live.delete(child);
      changed();
      resolve(code);
    });
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-LOG_LIMIT);
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [word, a, b, c] = line.split(' ');
    if (word === 'ready') startSeq = Number(a);
    if (word === 'stored' && a && b && c) stored.push({ seq: Number(a), id: b, cameraId: c });
    changed();
  });

  const until = (done: () => boolean, timeoutMs: number, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (done()) finish(resolve);
        else if (exited) finish(() => reject(new Error(`alert generator exited before ${what}:\n${log.slice(-4000)}`)));
      };
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`alert generator: not ${what} within ${timeoutMs} ms:\n${log.slice(-4000)}`))), timeoutMs);
      listeners.add(check);
      check();
    });

  try {
    await until(() => startSeq !== undefined, options.readyTimeoutMs ?? 20_000, 'ready');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  return {
    child,
    startSeq: startSeq ?? 0,
    stored,
    waitForStored: (count, timeoutMs) => until(() => stored.length >= count, timeoutMs, `${count} alerts stored`),
    pause: () => child.stdin!.write('pause\n'),
    resume: () => child.stdin!.write('resume\n'),
    async kill() {
      child.kill('SIGKILL');
      await exit;
    },
    async stop(timeoutMs = 15_000) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
    logs: () => log,
  };
}
