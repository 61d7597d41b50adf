/**
 * The one encoding the audit chain hashes: JSON with object keys sorted (by UTF-16 code units,
 * as Array.prototype.sort orders strings), no whitespace, keys whose value is `undefined`
 * left out. JavaScript prints numbers and strings the same way every time, so parsing a line
 * and encoding it again gives back the same bytes; verify relies on that.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    // NaN and Infinity would silently become null and change what the hash was taken over.
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (typeof value === 'object') return joinMembers(canonicalMembers(value as Record<string, unknown>));
  throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
}

export interface CanonicalMember {
  readonly key: string;
  /** `"key":value` */
  readonly text: string;
}

/** An object's members in canonical order, for a caller that adds one and encodes again without redoing the rest. */
export function canonicalMembers(object: Readonly<Record<string, unknown>>): CanonicalMember[] {
  const members: CanonicalMember[] = [];
  for (const key of Object.keys(object).sort()) {
    const value = object[key];
    if (value !== undefined) members.push({ key, text: `${JSON.stringify(key)}:${canonicalJson(value)}` });
  }
  return members;
}

export function joinMembers(members: readonly CanonicalMember[]): string {
  return `{${members.map((member) => member.text).join(',')}}`;
}
