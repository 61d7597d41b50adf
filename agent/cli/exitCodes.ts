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
  /** a signature was checked and does not verify (`config validate` of an envelope, `audit verify --checkpoints`) */
  invalidSignature: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for an error a command threw, by its AgentError code. */
export function exitCodeFor(error: { readonly code: string }): ExitCode {
  if (error.code === 'usage') return EXIT.usage;
  // an envelope signed by no trusted key, or not verifying; a checkpoint signed by another key
  if (error.code === 'bad_signature' || error.code === 'unknown_key' || error.code === 'checkpoint_untrusted') return EXIT.invalidSignature;
  return EXIT.failure;
}
