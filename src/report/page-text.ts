/** Text helpers for the status page: HTML escaping, local times, and error messages safe to show. */

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values alike. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** `2025-01-07 09:05` in the given zone (the source's local time, as the analysts read it). */
export function localTime(isoTime: string | null, timeZone: string, options: { seconds?: boolean } = {}): string {
  if (isoTime === null) return 'never';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(isoTime));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}${options.seconds ? `:${get('second')}` : ''}`;
}

/**
 * Where a body error's preview starts (see transform/body-errors.ts). The preview is the first bytes of
 * the source's body, which can be a record's text, so the page shows the message without it.
 */
const BODY_PREVIEW_LABEL = 'The body starts';
const ERROR_SHOWN_CHARS = 400;

/** An `etl_metadata.error_message` as the page shows it: no body preview, bounded length. */
export function shownError(message: string | null): string {
  if (message === null) return '';
  const at = message.indexOf(BODY_PREVIEW_LABEL);
  const cut = at >= 0 ? `${message.slice(0, at)}${BODY_PREVIEW_LABEL}: [preview not shown: it may hold record text]` : message;
  return cut.length > ERROR_SHOWN_CHARS ? `${cut.slice(0, ERROR_SHOWN_CHARS - 1)}…` : cut;
}
