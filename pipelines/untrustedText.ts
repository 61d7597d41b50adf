/**
 * The one way to put text an outsider chose (a pushed key name, a camera's stderr, a value from a
 * config file) into an error message, log line, audit record or MQTT report: a short prefix,
 * quoted and escaped so it cannot forge a line or a field, and the length of what was left out.
 * Linear in the prefix only: the rest of the input is never looked at, whatever its size.
 */

/** How many characters of an outsider's text any message may echo by default. */
export const UNTRUSTED_ECHO_CHARS = 40;

export function quoteUntrusted(value: string, maxChars: number = UNTRUSTED_ECHO_CHARS): string {
  const shown = value.length > maxChars ? value.slice(0, maxChars) : value;
  // JSON.stringify escapes quotes, backslashes and control characters; the rest is escaped here
  // so a terminal or a log viewer sees nothing but printable ASCII.
  const escaped = JSON.stringify(shown).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return value.length > maxChars ? `${escaped}… (${value.length - maxChars} more chars)` : escaped;
}
