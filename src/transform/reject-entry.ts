/**
 * A rejected record as the quarantine (`load_rejects`) keeps it: its raw record as JSON where jsonb can
 * hold it, else as escaped text, so no reject is lost to the characters that made it one.
 */
import { MAX_FIELD_DEPTH, nestedDeeperThan, stringifyDeep } from './deep-json.js';
import { storable, type RejectedRecord } from './normalize.js';
import { UnreadableRecord } from './unreadable-record.js';

/** A record we could not store (kind `record`) or a value stored as NULL (kind `value`). */
export interface RejectEntry {
  readonly position: number;
  readonly recordKey: string | null;
  readonly kind: 'record' | 'value';
  readonly field: string | null;
  readonly reason: string;
  /** The raw record as JSON text if jsonb can hold it, else null (see rawText). */
  readonly rawJson: string | null;
  /** The raw record as escaped text, when jsonb cannot hold it (NUL, broken surrogates). */
  readonly rawText: string | null;
}

export function rejectEntry(reject: RejectedRecord): RejectEntry {
  const { position, recordKey, kind, field, reason } = reject;
  if (reject.raw instanceof UnreadableRecord) {
    return { position, recordKey, kind, field, reason, rawJson: null, rawText: reject.raw.rawText };
  }
  if (nestedDeeperThan(reject.raw, MAX_FIELD_DEPTH + 1)) {
    return { position, recordKey, kind, field, reason, rawJson: null, rawText: escapeText(stringifyDeep(reject.raw)) };
  }
  const json = JSON.stringify(reject.raw) ?? 'null';
  const exact = json === (JSON.stringify(storable(reject.raw)) ?? 'null');
  // jsonb cannot hold it: keep it as text with every non-printable or unpaired character escaped.
  return { position, recordKey, kind, field, reason, rawJson: exact ? json : null, rawText: exact ? null : escapeText(json) };
}

/** Text with every control character and unpaired surrogate written as a `\uXXXX` escape. */
export function escapeText(text: string): string {
  return text.replace(/[\u0000-\u001f\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
