/**
 * The one scrubber for text that is shown or stored outside the data itself: errors, body previews, log
 * lines, `etl_metadata.error_message`, `source_state`, reject reasons, the page and metrics. A source can
 * echo anything back (an error page quoting the request's `Authorization` header, a body that repeats the
 * password JSON- or URL-escaped, a preview cut in the middle of it), so the password is hidden in each of
 * its escapings, and so is every 8-character run of it, and `Authorization` values and the base64 of
 * `user:password` wherever they appear.
 */

/** Shorter runs of a password are too likely to be ordinary text. */
const RUN_CHARS = 8;
const HIDDEN = '***';

/** Whole forms (longest first when scrubbing) and 8-character runs of every registered secret. */
const forms = new Set<string>();
const runs = new Set<string>();

/**
 * Registers a value (a password) that must never appear in output; with `username`, also the base64 of
 * `username:value` that Basic auth sends.
 */
export function registerSecret(value: string | null | undefined, username?: string): void {
  if (!value || value.length < 3) return;
  const escaped = escapings(value);
  for (const form of escaped) forms.add(form);
  if (username !== undefined) {
    const basic = Buffer.from(`${username}:${value}`);
    forms.add(basic.toString('base64'));
    forms.add(basic.toString('base64').replace(/=+$/, ''));
    forms.add(basic.toString('base64url'));
  }
  for (const form of escaped) {
    for (let i = 0; i + RUN_CHARS <= form.length; i++) runs.add(form.slice(i, i + RUN_CHARS));
  }
  sorted = null;
}

/** The text as it reads raw, JSON-escaped (once and twice: JSON inside a JSON log line), URL- and form-encoded. */
function escapings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const url = encodeURIComponent(value);
  return [
    value,
    json,
    JSON.stringify(json).slice(1, -1),
    url,
    url.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
    url.replace(/%20/g, '+'),
    escape(value),
  ].filter((form, i, all) => form.length >= 3 && all.indexOf(form) === i);
}

let sorted: string[] | null = null;

/** `Authorization: Basic abc…`, `"authorization":"Bearer …"`, `authorization=…` (header dumps, echoed requests). */
const AUTHORIZATION = /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)((?:basic|bearer|digest|negotiate|ntlm|token)\s+)?[^\s"',;}&]+/gi;
/** A Basic or Bearer credential without its header name. */
const SCHEME_CREDENTIAL = /\b(Basic|Bearer)\s+[A-Za-z0-9+/_.~-]{8,}=*/g;
const URL_PASSWORD = /(\/\/[^:/?#@\s]*):[^@/?#\s]*@/g;
/** `password=…` in a URL query or a libpq string; ends before `&`, space, quote, or the `: ` that starts a message. */
const PASSWORD_PARAM = /(password=)(?:[^&\s:"',;]|:(?![\s]|$))*/gi;

/** Removes registered secrets, credentials in URLs and `Authorization` values from any text. */
export function scrub(text: string): string {
  let out = text
    .replace(AUTHORIZATION, (_m, name: string, sep: string, scheme: string | undefined) => `${name}${sep}${scheme ?? ''}${HIDDEN}`)
    .replace(SCHEME_CREDENTIAL, `$1 ${HIDDEN}`)
    .replace(URL_PASSWORD, `$1:${HIDDEN}@`)
    .replace(PASSWORD_PARAM, `$1${HIDDEN}`);
  if (forms.size === 0) return out;
  sorted ??= [...forms].sort((a, b) => b.length - a.length);
  for (const form of sorted) if (out.includes(form)) out = out.split(form).join(HIDDEN);
  for (const run of runs) if (out.includes(run)) out = out.split(run).join(HIDDEN);
  return out;
}

/** Forgets every registered secret (tests). */
export function forgetSecrets(): void {
  forms.clear();
  runs.clear();
  sorted = null;
}
