import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './freePort.js';
import { stopChild } from './stopChild.js';
import { repoRoot } from './paths.js';

export interface RtspServer {
  readonly url: string;
  readonly port: number;
  /** the server process, for tests that pause it (SIGSTOP) to make a camera hang mid-stream */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface RtspServerOptions {
  /** default: a free loopback port */
  port?: number;
  /** H.264 mp4; default: the transcoded shared clip */
  file?: string;
  readyTimeoutMs?: number;
}

/** Debian's python: it has python3-gi; a pyenv `python3` earlier on PATH does not. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(repoRoot, 'test', 'helpers', 'rtsp_server.py');

/** Starts the GStreamer RTSP server (test/helpers/rtsp_server.py) and waits until it listens. */
export async function startRtspServer(options: RtspServerOptions = {}): Promise<RtspServer> {
  const port = options.port ?? (await freePort());
  // media.ts reads vitest's provided context: imported only when needed, so the bench can use this helper outside vitest
  const file = options.file ?? (await import('./media.js')).h264ClipPath();
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  // stdin stays a pipe: the server exits when it closes, so a killed test run leaves no server.
  const child = spawn(PYTHON, [SCRIPT, String(port), file], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });

  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`RTSP test server on port ${port} ${why}; stderr: ${stderr.trim() || '(empty)'}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${readyTimeoutMs} ms`), readyTimeoutMs);
    child.on('error', (error) => fail(`failed to start (${error.message})`));
    child.on('exit', (code, signal) => fail(`exited before ready (code ${String(code)}, signal ${String(signal)})`));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      stdout += text;
      const match = /^READY (\S+)$/m.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(match[1]);
      }
    });
  });

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    pid: child.pid!,
    stop: () => {
      stopping ??= (async () => {
        child.stdin.end();
        await stopChild(child);
      })();
      return stopping;
    },
  };
}
