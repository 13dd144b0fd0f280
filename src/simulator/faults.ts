/**
 * Faults the simulator can play, each one a way the real OTC source has failed or could fail.
 *
 * Request faults (any view):
 * - `failNext`: the next N requests answer one status instead of data — 503 for the maintenance or
 *   overload page, 500/502/504 for a broken gateway, 429 for rate limiting (always with `Retry-After`,
 *   `retryAfterSeconds` or 1 s), 403 for a blocked account. Tests the retry policy, backoff and breaker.
 * - `delayMs`: wait before sending headers, as the slow source does (tens of seconds). Tests timeouts.
 *
 * View faults (`views.<view>`):
 * - `malformed`: 200 with a body that is not valid JSON (a record cut short, then the closing
 *   brackets), as a source-side serializer crash produces. Must be a data error, not an empty load.
 * - `cutoff`: declares `Content-Length`, sends half the body, then drops the connection, as a proxy
 *   timeout or network reset does mid-download. Reading the body throws; it must count as a transient
 *   failure and load nothing.
 * - `truncated`: valid JSON holding only the first 10% of the records, as when the report engine
 *   times out and returns what it had. Tests the volume guard (a payload far
 *   smaller than the view's last one fails instead of loading).
 * - `empty`: valid JSON with zero records (the report ran against an empty replica). Tests that an
 *   empty payload for a view that had data fails rather than "deleting" everything.
 * - `envelope-data` / `envelope-bare`: the other two envelopes the source has been seen to use,
 *   `{"data":[...]}` and a bare `[...]`. Both must load exactly like the usual one.
 * - `envelope-unknown`: `{"result":[...]}`, an envelope never seen. Must be a clear data error.
 * - `new-field`: every record gains a field never seen before (`TKT-New Field`, `TS-New Field`,
 *   `TKTCT-New Field`). Tests drift reporting and that unknown fields are kept in `_raw` only.
 * - `drop-field`: every record lacks one known non-key field (`droppedFieldOf`), as when a report
 *   column is removed. Tests drift reporting and that stored values are kept.
 * - `duplicate-keys`: 1% of the records are repeated at the end of the payload with a later modified
 *   time (comments, which have no cursor: with edited text). Tests that the later version wins and
 *   that the copies are counted as duplicates.
 */
import type { ViewName, ViewSpec } from '../registry.js';

export type ViewFault =
  | 'malformed'
  | 'cutoff'
  | 'truncated'
  | 'empty'
  | 'envelope-data'
  | 'envelope-bare'
  | 'envelope-unknown'
  | 'new-field'
  | 'drop-field'
  | 'duplicate-keys';

export const VIEW_FAULTS: readonly ViewFault[] = [
  'malformed',
  'cutoff',
  'truncated',
  'empty',
  'envelope-data',
  'envelope-bare',
  'envelope-unknown',
  'new-field',
  'drop-field',
  'duplicate-keys',
];

export interface Faults {
  /** The next `count` requests (any view) answer `status`; e.g. `{ status: 503, count: 2 }`. */
  failNext?: { status: number; count: number; retryAfterSeconds?: number };
  /** Delay before sending headers, in ms (applies to every request). */
  delayMs?: number;
  /** One fault per view; see the list above. */
  views?: Partial<Record<ViewName, ViewFault>>;
}

/** The name of the field the `new-field` fault adds: the view's field prefix + `New Field`. */
export function newFieldOf(view: ViewSpec): string {
  const first = view.fields[0]?.api ?? '';
  return `${first.slice(0, first.indexOf('-') + 1)}New Field`;
}

/** The field the `drop-field` fault removes: the last field that is not part of the key, cursor or window. */
export function droppedFieldOf(view: ViewSpec): string {
  const protectedColumns = new Set([...view.key, view.cursor, view.windowColumn]);
  const field = [...view.fields].reverse().find((f) => !protectedColumns.has(f.column));
  if (!field) throw new Error(`view ${view.name} has no field the drop-field fault could drop`);
  return field.api;
}

export interface Envelope {
  readonly open: string;
  readonly close: string;
}

export const ENVELOPES = {
  message: { open: '{"message":{"data":[', close: ']}}' },
  data: { open: '{"data":[', close: ']}' },
  bare: { open: '[', close: ']' },
  unknown: { open: '{"result":[', close: ']}' },
} as const satisfies Record<string, Envelope>;

export function envelopeFor(fault: ViewFault | undefined): Envelope {
  if (fault === 'envelope-data') return ENVELOPES.data;
  if (fault === 'envelope-bare') return ENVELOPES.bare;
  if (fault === 'envelope-unknown') return ENVELOPES.unknown;
  return ENVELOPES.message;
}
