const REPLACEMENT = '\uFFFD';

/**
 * Text as given (inner and outer spaces kept: ` PendingAssignment` means something); null when empty or
 * only whitespace. Non-strings become their text: numbers as written by `String`, booleans as
 * `true`/`false`, objects and arrays as JSON. Never fails.
 */
export function parseText(raw: unknown): string | null {
  if (typeof raw !== 'string') return storableText(textOf(raw));
  return isBlank(raw) ? null : storableText(raw);
}

/**
 * `parseText` of a string read from a record whose bytes hold no backslash (see
 * `ReadFromBytes.escapeFree`): JSON can write a NUL or a lone surrogate only as an escape, so the text is
 * storable as it is.
 */
export function parsePlainText(raw: string): string | null {
  return isBlank(raw) ? null : raw;
}

function isBlank(s: string): boolean {
  // A printable ASCII first letter is not whitespace: most values need no trimmed copy to tell.
  const first = s.charCodeAt(0);
  return !(first > 0x20 && first < 0x7f) && s.trim() === '';
}

/** The text of a non-null value that is not a string. */
export function textOf(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw !== 'object' || raw === null) return String(raw);
  try {
    return JSON.stringify(raw) ?? String(raw);
  } catch {
    return String(raw);
  }
}

/**
 * PostgreSQL text cannot hold NUL, and a lone UTF-16 surrogate cannot be encoded as UTF-8: both become
 * U+FFFD so the value can be stored at all.
 */
export function storableText(s: string): string {
  // Both checks are native (a string of one-byte letters holds no surrogate at all), about twice as fast
  // as the loop below, which finds what to repair.
  if ((s as string & { isWellFormed(): boolean }).isWellFormed() && s.indexOf('\u0000') === -1) return s;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || (c >= 0xd800 && c <= 0xdfff)) return repairFrom(s, i);
  }
  return s;
}

function repairFrom(s: string, first: number): string {
  let out = s.slice(0, first);
  let kept = first;
  for (let i = first; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(s.charCodeAt(i + 1))) {
      i++;
      continue;
    }
    if (c !== 0 && (c < 0xd800 || c > 0xdfff)) continue;
    out += s.slice(kept, i) + REPLACEMENT;
    kept = i + 1;
  }
  return out + s.slice(kept);
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
