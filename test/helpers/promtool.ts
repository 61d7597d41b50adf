import { spawn } from 'node:child_process';

export const PROMTOOL = process.env['C5_PROMTOOL'] ?? '/usr/bin/promtool';

/** Runs promtool with `args` (stdin from `input`), bounded; output is stdout and stderr together. */
export function runPromtool(
  args: readonly string[],
  options: { input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; output: string }> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(options.cwd ? { cwd: options.cwd } : {}) });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`promtool ${args.join(' ')} did not finish within ${timeoutMs} ms: ${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Pipes text to `promtool check metrics` on stdin; bounded. */
export function promtoolCheckMetrics(text: string): Promise<{ code: number | null; output: string }> {
  return runPromtool(['check', 'metrics'], { input: text });
}
