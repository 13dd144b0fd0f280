/**
 * The `SourceDataError`s a view's body can earn, each naming the view, saying what to do next and showing a
 * short preview of the body so the user can tell an error page from a format change at a glance.
 */

import { SourceDataError } from '../errors.js';

const PREVIEW_CHARS = 120;
/** Bytes to keep for a preview: enough for PREVIEW_CHARS characters of up to 4 bytes each. */
export const PREVIEW_BYTES = PREVIEW_CHARS * 4;

const BOM = '\uFEFF';
const CONTROL_CHARS = /\p{Cc}/gu;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const EXPECTED_ENVELOPES = '{"message":{"data":[…]}}, {"data":[…]} or […]';

/**
 * The first PREVIEW_CHARS characters of a body with the text of its JSON string values hidden (records
 * hold customer data, and this preview goes into logs and error messages) and control characters escaped
 * (so a preview cannot break a log line or a terminal). Keys, numbers and punctuation stay: they are what
 * tells an error page from a format change. A leading byte-order mark is dropped.
 */
export function previewOf(head: Uint8Array): string {
  let text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('utf8');
  if (text.startsWith(BOM)) text = text.slice(BOM.length);
  const chars = Array.from(hideStringValues(text)).slice(0, PREVIEW_CHARS).join('');
  return chars.replace(CONTROL_CHARS, escapeControl);
}

/** `"TKT-Title":"Printer on fire"` becomes `"TKT-Title":"…"`; a string cut off by the preview's end too. */
function hideStringValues(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('"', i);
    if (open === -1) return out + text.slice(i);
    out += text.slice(i, open);
    let close = open + 1;
    while (close < text.length && text[close] !== '"') close += text[close] === '\\' ? 2 : 1;
    if (close >= text.length) return `${out}"…`;
    const isKey = /^\s*:/.test(text.slice(close + 1, close + 64));
    out += isKey || close === open + 1 ? text.slice(open, close + 1) : '"…"';
    i = close + 1;
  }
  return out;
}

function escapeControl(char: string): string {
  return NAMED_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** What can be wrong with a body. */
export type BodyProblemKind = 'not-a-list' | 'malformed' | 'cut-off';

/**
 * A problem found while reading a body, before it becomes a `SourceDataError`: the reader first reads
 * on far enough to show a full preview, since the problem is often spotted in the body's first bytes.
 */
export class BodyProblem extends Error {
  constructor(
    readonly kind: BodyProblemKind,
    /** Byte offset in the body where the problem is (for a cut-off: where the body ends). */
    readonly offset: number,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${kind} at byte offset ${offset}: ${detail}`, options);
  }
}

/** The user-facing error for a body problem: names the view, says what to do, shows the preview. */
export function sourceDataError(problem: BodyProblem, view: string, preview: string): SourceDataError {
  const { offset, detail, cause } = problem;
  switch (problem.kind) {
    case 'not-a-list':
      return new SourceDataError(
        `The ${view} view's body is not a record list (${detail}; expected ${EXPECTED_ENVELOPES}). ` +
          `Check the view's GUID; if it is right, the source may have changed its format. ` +
          `The body starts (text values hidden): ${preview}`,
        { view },
      );
    case 'malformed':
      return new SourceDataError(
        `The ${view} view's body is not valid JSON at byte offset ${offset} (${detail}). ` +
          `Try again; if it keeps failing, the source may have changed its format. The body starts (text values hidden): ${preview}`,
        { view, cause },
      );
    case 'cut-off':
      return offset === 0
        ? new SourceDataError(
            `The ${view} view's body is empty. The source may be in maintenance or the download was ` + `cut off; try again later.`,
            { view },
          )
        : new SourceDataError(
            `The ${view} view's body ends at byte offset ${offset}, ${detail}: the download was probably cut off. ` +
              `Try again. The body starts (text values hidden): ${preview}`,
            { view },
          );
  }
}
