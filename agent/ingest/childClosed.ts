import type { ChildProcess } from 'node:child_process';

export interface ChildClosed {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** set when the program could not be started (Node emits 'error', then 'close') */
  readonly spawnError: Error | undefined;
}

/**
 * Resolves once a child has closed (exited and its pipes drained). A child that cannot be
 * executed emits 'error' before 'close'; left unhandled that would crash the process, so it is
 * caught here and returned. The one-off ffmpeg runs (snapshot, capacity) wait with it.
 */
export function childClosed(child: ChildProcess): Promise<ChildClosed> {
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError = error;
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, spawnError })));
}
