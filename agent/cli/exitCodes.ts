/**
 * The CLI's exit codes, documented in the README's operator guide. Scripts and systemd branch on
 * them, so a code never changes meaning once shipped.
 */
export const EXIT = {
  /** the command did what was asked; checks passed (warnings allowed) */
  ok: 0,
  /** the command failed: a file could not be read, a camera or broker could not be reached, a check failed */
  failure: 1,
  /** the command line is wrong: unknown command or flag, a missing or malformed argument */
  usage: 2,
  /** `audit verify`: the log was read and its integrity is broken (edited, removed, reordered, rewritten) */
  integrityBroken: 3,
  /** a signature was checked and does not verify (`config validate` of an envelope) */
  invalidSignature: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
