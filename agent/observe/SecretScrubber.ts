import { REDACTED } from './redactUrl.js';

/**
 * Secrets shorter than this are not scrubbed by value: replacing every "pw1" or "12" in every log
 * line, MQTT message and audit record would mangle ids, numbers and words, and a value that short
 * is guessed faster than it is leaked. Such a secret is still redacted where its shape gives it
 * away (URL userinfo, `password=` parameters: redactUrl), and the agent warns at start-up that
 * it is too short to be protected (SecretScrubber.add returns false for it).
 */
export const MIN_SCRUBBED_SECRET_CHARS = 4;

/**
 * How many distinct forms are kept. Every applied config adds its secrets (an old password may
 * still sit in a message held for the broker), so the set grows with pushes; past this, the oldest
 * forms go first.
 */
const MAX_FORMS = 4096;

/**
 * Removes the exact values of the secrets the agent resolved (camera passwords and tokens, the
 * MQTT and metrics passwords) from every string it logs, publishes, audits or exposes, in every
 * form a value takes on its way out: as written, percent-encoded or percent-decoded (URLs), and
 * JSON-escaped (a log line, an MQTT payload). One object per agent, created by the composition
 * root and handed to each part that writes outside the process.
 */
export class SecretScrubber {
  private readonly forms = new Set<string>();
  private readonly bytes = new Map<string, Buffer>();
  private pattern: RegExp | null = null;

  /** Adds a secret; false (and nothing added) when it is too short to scrub safely. */
  add(secret: string): boolean {
    if (secret.length < MIN_SCRUBBED_SECRET_CHARS) return false;
    for (const form of formsOf(secret)) {
      if (form.length < MIN_SCRUBBED_SECRET_CHARS || this.forms.has(form)) continue;
      this.forms.add(form);
      this.bytes.set(form, Buffer.from(form, 'utf8'));
      this.pattern = null;
    }
    while (this.forms.size > MAX_FORMS) {
      const oldest = this.forms.values().next().value as string;
      this.forms.delete(oldest);
      this.bytes.delete(oldest);
    }
    return true;
  }

  /** The secrets that could not be added (too short), by the caller's name for them. */
  addAll(secrets: Iterable<{ readonly name: string; readonly value: string }>): string[] {
    const tooShort: string[] = [];
    for (const { name, value } of secrets) if (!this.add(value)) tooShort.push(name);
    return tooShort;
  }

  get size(): number {
    return this.forms.size;
  }

  /** `text` with every known secret replaced by REDACTED; the same string when none occurs. */
  scrub(text: string): string {
    if (this.forms.size === 0) return text;
    const pattern = this.compiled();
    pattern.lastIndex = 0;
    if (!pattern.test(text)) return text;
    pattern.lastIndex = 0;
    return text.replace(pattern, REDACTED);
  }

  /** An MQTT payload: the same buffer when no secret occurs in it (the common case costs no copy). */
  scrubBytes(payload: Buffer): Buffer {
    for (const bytes of this.bytes.values()) {
      if (payload.includes(bytes)) return Buffer.from(this.scrub(payload.toString('utf8')), 'utf8');
    }
    return payload;
  }

  scrubPayload(payload: string | Buffer): string | Buffer {
    return typeof payload === 'string' ? this.scrub(payload) : this.scrubBytes(payload);
  }

  /**
   * A JSON-like value (an audit entry, a readiness report) with every string scrubbed, keys
   * included. Unchanged parts are shared, so a value with no secret in it comes back as is.
   */
  scrubValue<T>(value: T): T {
    if (this.forms.size === 0) return value;
    return this.walk(value, 0) as T;
  }

  private walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.scrub(value);
    // Audit entries and reports are shallow; a deeper value is left as is rather than recursed without end.
    if (value === null || typeof value !== 'object' || depth > 32) return value;
    if (Array.isArray(value)) {
      let changed = false;
      const next = value.map((item) => {
        const scrubbed = this.walk(item, depth + 1);
        if (scrubbed !== item) changed = true;
        return scrubbed;
      });
      return changed ? next : value;
    }
    if (Object.getPrototypeOf(value) !== Object.prototype) return value;
    let changed = false;
    const next: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const scrubbedKey = this.scrub(key);
      const scrubbed = this.walk(item, depth + 1);
      if (scrubbedKey !== key || scrubbed !== item) changed = true;
      next[scrubbedKey] = scrubbed;
    }
    return changed ? next : value;
  }

  /** One alternation, longest first, so a secret that contains another is replaced whole. */
  private compiled(): RegExp {
    if (!this.pattern) {
      const alternatives = [...this.forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.pattern = new RegExp(alternatives.join('|'), 'g');
    }
    return this.pattern;
  }
}

/** The forms a secret can take in text the agent writes. */
function formsOf(secret: string): Set<string> {
  const plain = new Set<string>([secret]);
  const decoded = percentDecoded(secret);
  if (decoded !== undefined) plain.add(decoded);
  for (const value of [...plain]) {
    plain.add(encodeURIComponent(value));
    // application/x-www-form-urlencoded writes a space as "+"
    plain.add(encodeURIComponent(value).replace(/%20/g, '+'));
    // WHATWG URL serialisation of a userinfo leaves these sub-delimiters as they are
    plain.add(encodeURIComponent(value).replace(/%(21|24|26|27|28|29|2A|2B|2C|3B|3D)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))));
  }
  const forms = new Set<string>();
  for (const value of plain) {
    forms.add(value);
    const json = JSON.stringify(value).slice(1, -1);
    forms.add(json);
    // quoteUntrusted and pino-pretty style: everything outside printable ASCII as \uXXXX
    forms.add(json.replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`));
  }
  return forms;
}

function percentDecoded(value: string): string | undefined {
  if (!/%[0-9a-f]{2}/i.test(value)) return undefined;
  try {
    return decodeURIComponent(value);
  } catch (error) {
    // A lone "%" in a password is not an encoding; the value stands as written.
    if (error instanceof URIError) return undefined;
    throw error;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
