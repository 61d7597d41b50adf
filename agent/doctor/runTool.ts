import { spawn } from 'node:child_process';

export interface ToolRun {
  /** null when the child was killed or never started */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** at most `maxStdoutBytes`; `stdoutBytes` counts all of it */
  readonly stdout: string;
  readonly stdoutBytes: number;
  /** the last `maxStderrBytes` of stderr */
  readonly stderr: string;
  /** ENOENT, EACCES: the program could not be started */
  readonly spawnError?: string;
  /** the signal aborted it (the check's time limit) */
  readonly aborted: boolean;
  readonly elapsedMs: number;
}

export interface ToolOptions {
  readonly signal: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
  readonly maxStdoutBytes?: number;
  readonly maxStderrBytes?: number;
}

/**
 * Runs a helper program (ffmpeg, ffprobe, timedatectl, chronyc) to the end, killed with SIGKILL
 * when `signal` aborts. Its output is an outsider's text: kept bounded (a camera can make ffprobe
 * print without end), and decoded only as far as kept.
 */
export function runTool(file: string, args: readonly string[], options: ToolOptions): Promise<ToolRun> {
  const maxStdout = options.maxStdoutBytes ?? 256 * 1024;
  const maxStderr = options.maxStderrBytes ?? 16 * 1024;
  const started = Date.now();
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = Buffer.alloc(0);
    let spawnError: string | undefined;
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, signal: options.signal, killSignal: 'SIGKILL' });
    child.stdout.on('data', (chunk: Buffer) => {
      const room = maxStdout - Math.min(stdoutBytes, maxStdout);
      if (room > 0) stdout.push(chunk.subarray(0, room));
      stdoutBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const joined = Buffer.concat([stderr, chunk]);
      stderr = joined.length > maxStderr ? joined.subarray(joined.length - maxStderr) : joined;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      // an abort also lands here (AbortError); the close event still follows and settles
      if (error.name !== 'AbortError') spawnError = error.code ?? error.message;
    });
    child.on('close', (exitCode, signal) => {
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stdoutBytes,
        stderr: stderr.toString('utf8'),
        ...(spawnError === undefined ? {} : { spawnError }),
        aborted: options.signal.aborted,
        elapsedMs: Date.now() - started,
      });
    });
  });
}
