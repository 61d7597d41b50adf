/**
 * Shape-based redaction of credentials in URLs: the userinfo, and `name=value` pairs in the path
 * or query whose name means a credential (Xiongmai cameras put `user=admin&password=...` in the
 * path; others use `?passwd=`, `?loginpas=`, `?access_token=`). Every function here is one
 * left-to-right pass with bounded look-back, so its time is linear in the input whatever an
 * outsider puts in it (the regex scan it replaces was quadratic on long unbroken text).
 *
 * This is the first line of defence; the second is SecretScrubber, which removes the exact value
 * of every secret the agent resolved from whatever it logs, publishes, audits or exposes.
 */

export const REDACTED = 'REDACTED';

/** Longest scheme looked back over from `://` (`rtsp`, `rtsps`, `git+ssh`, ...). */
const MAX_SCHEME_CHARS = 32;
/**
 * How far after `://` the userinfo's `@` is looked for in free text. A password may hold spaces
 * and quotes, so the token cannot end at those before the `@`; the window stops at a newline, at
 * the next `://`, or here, so each character is looked at a bounded number of times.
 */
const MAX_USERINFO_CHARS = 256;
/** A parameter name longer than this is not a credential name (and is not looked up). */
const MAX_PARAM_NAME_CHARS = 64;

/** Names whose value is an identity (redacted in URLs, but not a secret to scrub everywhere). */
const IDENTITY_NAME = /^(user|username|usr|uname|login|loginuser|loginname|account|acc|uid)$/;
/** Substrings that make a parameter name a credential: passwd, loginpas, access_token, api_key, x-amz-signature, ... */
const SECRET_NAME_PARTS = ['pas', 'pwd', 'token', 'secret', 'key', 'auth', 'sig', 'cred', 'session'];

/** True when a URL parameter (or path `name=value` segment) of this name carries a secret value. */
export function isSecretParamName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_PARAM_NAME_CHARS) return false;
  const lower = name.toLowerCase();
  return lower === 'pw' || lower === 'pin' || SECRET_NAME_PARTS.some((part) => lower.includes(part));
}

/** True when the value of a parameter of this name is redacted: a secret or an identity. */
export function isCredentialParamName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_PARAM_NAME_CHARS) return false;
  return IDENTITY_NAME.test(name.toLowerCase()) || isSecretParamName(name);
}

/**
 * One URL, redacted: `rtsp://REDACTED:REDACTED@host/user=REDACTED&password=REDACTED&channel=1`.
 * The whole string is taken as the URL, so a password with `/`, `#`, a space or a quote in its
 * userinfo is still covered (the userinfo ends at the last `@` that a host follows). Anything that
 * is not `scheme://...` (a file path) comes back unchanged.
 */
export function redactUrl(raw: string): string {
  const authority = schemeEnd(raw, 0);
  if (authority < 0) return raw;
  const out: string[] = [raw.slice(0, authority)];
  redactFrom(raw, authority, raw.length, raw.length, false, out);
  return out.join('');
}

/**
 * Every URL inside free text (ffmpeg's stderr quotes its input URL, an error message may carry
 * one), redacted as redactUrl does. A URL's path ends at whitespace or a quote; its userinfo may
 * hold either (see MAX_USERINFO_CHARS), at the price of redacting too much rather than too little
 * when an unrelated `name@host` follows a URL on the same line.
 */
export function redactUrlsInText(text: string): string {
  const out: string[] = [];
  let copied = 0;
  let searchFrom = 0;
  for (;;) {
    const marker = text.indexOf('://', searchFrom);
    if (marker < 0) break;
    const start = schemeStart(text, marker, copied);
    if (start === marker) {
      searchFrom = marker + 3;
      continue;
    }
    out.push(text.slice(copied, marker + 3));
    // The next URL's scheme ends this one, so `...x,rtsp://` is still seen as a URL of its own.
    const nextMarker = text.indexOf('://', marker + 3);
    const limit = nextMarker < 0 ? text.length : schemeStart(text, nextMarker, marker + 3);
    copied = redactFrom(text, marker + 3, limit, Math.min(limit, marker + 3 + MAX_USERINFO_CHARS), true, out);
    searchFrom = Math.max(copied, marker + 3);
  }
  if (copied === 0) return text;
  out.push(text.slice(copied));
  return out.join('');
}

/**
 * The secret values one URL carries, as written in it: the userinfo's password and the value of
 * every parameter whose name means a secret (SecretScrubber then removes them everywhere). User
 * names are left out: redactUrl hides them in URLs, but scrubbing "admin" from every line would
 * mangle the text around it.
 */
export function secretsInUrl(raw: string): string[] {
  const authority = schemeEnd(raw, 0);
  if (authority < 0) return [];
  const secrets: string[] = [];
  let i = authority;
  const at = userinfoEnd(raw, authority, raw.length, false);
  if (at >= 0) {
    const colon = raw.indexOf(':', authority);
    if (colon >= 0 && colon < at) secrets.push(raw.slice(colon + 1, at));
    i = at + 1;
  }
  let segmentStart = i;
  for (; i < raw.length; i += 1) {
    const code = raw.charCodeAt(i);
    if (isSeparator(code)) {
      segmentStart = i + 1;
    } else if (code === 0x3d /* = */ && isSecretParamName(raw.slice(segmentStart, i))) {
      let end = i + 1;
      while (end < raw.length && !isSeparator(raw.charCodeAt(end))) end += 1;
      secrets.push(raw.slice(i + 1, end));
      i = end - 1;
    }
  }
  return secrets.filter((secret) => secret.length > 0);
}

/** Index just after `scheme://` when `raw` starts with one, else -1. */
function schemeEnd(raw: string, from: number): number {
  const marker = raw.indexOf('://', from);
  if (marker <= from || marker - from > MAX_SCHEME_CHARS) return -1;
  if (!isLetter(raw.charCodeAt(from))) return -1;
  for (let i = from + 1; i < marker; i += 1) if (!isSchemeChar(raw.charCodeAt(i))) return -1;
  return marker + 3;
}

/** Where the scheme before `marker` starts (at most MAX_SCHEME_CHARS back, never before `floor`); `marker` when there is none. */
function schemeStart(text: string, marker: number, floor: number): number {
  let start = marker;
  const lowest = Math.max(floor, marker - MAX_SCHEME_CHARS);
  while (start > lowest && isSchemeChar(text.charCodeAt(start - 1))) start -= 1;
  while (start < marker && !isLetter(text.charCodeAt(start))) start += 1;
  return start;
}

/**
 * Appends the redacted authority, path and query that start at `from` (just after `://`) to
 * `out`, and returns where the URL ended. `userinfoLimit` bounds the search for the userinfo's
 * `@`; in free text (`inText`) the URL also ends at whitespace or a quote, and the userinfo
 * window at a newline.
 */
function redactFrom(text: string, from: number, limit: number, userinfoLimit: number, inText: boolean, out: string[]): number {
  const at = userinfoEnd(text, from, userinfoLimit, inText);
  let i = from;
  if (at >= 0) {
    out.push(text.slice(from, at).includes(':') ? `${REDACTED}:${REDACTED}@` : `${REDACTED}@`);
    i = at + 1;
  }
  let copied = i;
  let segmentStart = i;
  while (i < limit) {
    const code = text.charCodeAt(i);
    if (inText && endsUrlInText(code)) break;
    if (isSeparator(code)) {
      segmentStart = i + 1;
    } else if (code === 0x3d /* = */) {
      const name = i - segmentStart <= MAX_PARAM_NAME_CHARS ? text.slice(segmentStart, i) : '';
      if (isCredentialParamName(name)) {
        let end = i + 1;
        while (end < limit && !isSeparator(text.charCodeAt(end)) && !(inText && endsValueInText(text, end, limit))) end += 1;
        if (end > i + 1) {
          out.push(text.slice(copied, i + 1), REDACTED);
          copied = end;
        }
        i = end;
        continue;
      }
    }
    i += 1;
  }
  out.push(text.slice(copied, i));
  return i;
}

/**
 * The userinfo's `@`: the last one before `limit` that a host follows (a letter, digit or `[`),
 * so `[rtsp @ 0x55d1]` in ffmpeg's output is not taken for one. -1 when there is none.
 */
function userinfoEnd(text: string, from: number, limit: number, inText: boolean): number {
  let end = limit;
  if (inText) {
    for (let i = from; i < limit; i += 1) {
      if (text.charCodeAt(i) === 0x0a) {
        end = i;
        break;
      }
    }
  }
  for (let i = end - 1; i >= from; i -= 1) {
    if (text.charCodeAt(i) !== 0x40 /* @ */) continue;
    const next = i + 1 < text.length ? text.charCodeAt(i + 1) : -1;
    if (isLetter(next) || isDigit(next) || next === 0x5b /* [ */) return i;
  }
  return -1;
}

function isLetter(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isSchemeChar(code: number): boolean {
  return isLetter(code) || isDigit(code) || code === 0x2b || code === 0x2d || code === 0x2e;
}

/** `/ ? & ; #` end a path segment or a query parameter. */
function isSeparator(code: number): boolean {
  return code === 0x2f || code === 0x3f || code === 0x26 || code === 0x3b || code === 0x23;
}

/** In free text a value also ends where the URL does, and before the `: ` of `URL: Connection refused`. */
function endsValueInText(text: string, i: number, limit: number): boolean {
  const code = text.charCodeAt(i);
  if (endsUrlInText(code)) return true;
  return code === 0x3a /* : */ && (i + 1 >= limit || endsUrlInText(text.charCodeAt(i + 1)));
}

/** Whitespace, quotes and angle brackets end a URL quoted in free text. */
function endsUrlInText(code: number): boolean {
  return code <= 0x20 || code === 0x22 || code === 0x27 || code === 0x3c || code === 0x3e || code === 0x60 || code === 0x7f;
}
