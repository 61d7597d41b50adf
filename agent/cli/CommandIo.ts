import type { Logger } from '../observe/logger.js';

/** What every CLI command gets from the program: it touches the process only through this. */
export interface CommandIo {
  readonly env: NodeJS.ProcessEnv;
  /** results for the user (stdout) */
  readonly out: { write(text: string): unknown };
  /** progress and warnings for the user (stderr); logs go through `logger` */
  readonly err: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly logger: Logger;
  /** the agent's version, from package.json */
  readonly version: string;
}
