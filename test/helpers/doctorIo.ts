import { Writable } from 'node:stream';
import type { CommandIo } from '../../agent/cli/CommandIo.js';
import { createRootLogger } from '../../agent/observe/logger.js';

/** A CommandIo that keeps what a command prints (stdout, stderr) and logs, for tests that look for leaks too. */
export interface CapturedIo {
  readonly io: CommandIo;
  out(): string;
  /** stderr and the log lines together */
  rest(): string;
}

export function captureIo(env: NodeJS.ProcessEnv): CapturedIo {
  let out = '';
  let rest = '';
  const logs = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      rest += chunk.toString('utf8');
      callback();
    },
  });
  const io: CommandIo = {
    env,
    out: { write: (text: string) => (out += text) },
    err: { write: (text: string) => (rest += text) },
    logger: createRootLogger({ level: 'debug', destination: logs }),
    version: '0.0.0-test',
  };
  return { io, out: () => out, rest: () => rest };
}
