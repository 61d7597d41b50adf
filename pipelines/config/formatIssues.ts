import type { z } from 'zod';
import { quoteUntrusted } from '../untrustedText.js';

/**
 * Zod issues as one line each: path, what is wrong, the value received. The document may come
 * from anyone (a push is attacker-controlled until its signature holds, and this also formats the
 * envelope's own errors), so every line is short whatever the input: received values, unknown key
 * names and odd path keys are echoed as a short quoted prefix (quoteUntrusted), and only the
 * first few issues and unknown keys are listed, the rest counted. Work is linear in the input.
 */

/** Lines listed per document; a flood of issues is counted, not copied. */
export const MAX_LISTED_ISSUES = 20;
/** Unknown key names listed per object. */
export const MAX_LISTED_KEYS = 3;
/**
 * Characters shown of an unknown key name or a received string: enough to recognise a typo, and
 * short enough that a line stays near 300 characters even when every one is escaped (`\u00e9`).
 */
export const ECHO_CHARS = 24;
/** A schema's own message is short; one built from a value (a refinement) is cut here. */
const MAX_MESSAGE_CHARS = 200;
/** Path keys the schema could have named are shown bare; anything else is quoted. */
const PLAIN_KEY = /^[A-Za-z_$][\w$-]{0,63}$/;
/** A URL whose userinfo a truncated prefix could show half of (the `@` cut off): only its scheme is shown. */
const URL_SCHEME = /^([a-z][a-z0-9+.-]{0,31}):\/\//i;

/** `cameras[2].rules[0].zone`; a key the schema could not have named is quoted: `models["a b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && PLAIN_KEY.test(key)) out += out ? `.${key}` : key;
    else out += `[${quoteUntrusted(String(key), ECHO_CHARS)}]`;
  }
  return out || '(root)';
}

/** One line per problem, at most MAX_LISTED_ISSUES of them, then a line counting the rest. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => formatIssue(issue, input));
  const rest = issues.length - listed.length;
  if (rest > 0) listed.push(`… and ${rest} more problem${rest === 1 ? '' : 's'} not listed`);
  return listed;
}

function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const shown = issue.keys.slice(0, MAX_LISTED_KEYS).map((key) => quoteUntrusted(key, ECHO_CHARS));
    const rest = issue.keys.length - shown.length;
    return `${where}: unknown key(s) ${shown.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
  }
  const message = issue.message.length > MAX_MESSAGE_CHARS ? `${issue.message.slice(0, MAX_MESSAGE_CHARS)}…` : issue.message;
  const suffix = issue.code === 'custom' ? '' : ` (received ${describeValue(valueAt(input, issue.path))})`;
  return `${where}: ${message}${suffix}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** The value received, in a few dozen characters: never serialised whole, never a URL's userinfo. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    const scheme = URL_SCHEME.exec(value);
    if (scheme && value.includes('@')) return `a ${quoteUntrusted(scheme[1]!)} URL of ${value.length} chars (not shown: it may hold credentials)`;
    return quoteUntrusted(value, ECHO_CHARS);
  }
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
