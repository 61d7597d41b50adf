import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort.js';
import { stopChild } from './stopChild.js';

export const MOSQUITTO_PATH = process.env['C5_MOSQUITTO'] ?? '/usr/sbin/mosquitto';

export interface MosquittoOptions {
  /** loopback port; a free one when omitted */
  port?: number;
  /** extra mosquitto.conf lines appended after the listener block (acl_file, max_inflight_messages, ...) */
  config?: string;
  /** how long start() waits for the port to accept connections */
  readyTimeoutMs?: number;
}

export interface MosquittoBroker {
  readonly url: string;
  readonly port: number;
  /** stops the broker (SIGTERM, then SIGKILL if it lingers); idempotent */
  stop(): Promise<void>;
  /** (re)starts the broker on the same port with the same config */
  start(): Promise<void>;
  /** the broker's stderr so far, for failure messages */
  logs(): string;
}

const LOG_LIMIT = 64 * 1024;
const live = new Set<ChildProcess>();

// A crashed test file must not leave brokers holding ports for the next one.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoBroker> {
  const port = options.port ?? (await freePort());
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
  ];
  // Run as root (CI containers), mosquitto would otherwise drop to a `mosquitto` user that may not exist.
  if (process.getuid?.() === 0) lines.push('user root');
  if (options.config) lines.push(options.config);
  const conf = `${lines.join('\n')}\n`;

  let child: ChildProcess | null = null;
  let log = '';

  const start = async (): Promise<void> => {
    if (child) return;
    // mosquitto reads its config only at start-up, so the directory lives exactly as long as one run.
    const dir = await mkdtemp(join(tmpdir(), 'c5-mosquitto-'));
    const confPath = join(dir, 'mosquitto.conf');
    await writeFile(confPath, conf);
    const proc = spawn(MOSQUITTO_PATH, ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    live.add(proc);
    proc.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-LOG_LIMIT);
    });
    let exited = false;
    proc.once('exit', () => {
      exited = true;
      live.delete(proc);
      if (child === proc) child = null;
      void rm(dir, { recursive: true, force: true });
    });
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`mosquitto exited during start-up on port ${port}:\n${log}`);
      if (await canConnect(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
    throw new Error(`mosquitto did not accept connections on port ${port} within ${readyTimeoutMs} ms:\n${log}`);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    child = null;
    await stopChild(proc);
  };

  await start();
  return { url: `mqtt://127.0.0.1:${port}`, port, start, stop, logs: () => log };
}
