/**
 * The one value parser: every view and every input path (API, CSV, XLSX, JSON, reprocess) turns a raw
 * source value into the canonical text PostgreSQL stores through `parseValue`. Outputs are
 * deterministic because they are also hashed to detect changed rows. Pure: no I/O, no clock.
 */

import type { FieldType } from '../registry.js';
import { parseClock } from './clock.js';
import { parseDate, parseInstant } from './dates.js';
import { parseDecimal, parseId } from './numbers.js';
import { parseText } from './storable-text.js';
import type { Zone } from './timezone.js';
import { expected, type ValueError } from './value-error.js';

export { ValueError } from './value-error.js';
export { Zone, zoneNamed } from './timezone.js';

/** What a value's meaning depends on besides the value itself. */
export interface ParseContext {
  /** The zone of naive source timestamps (OTC_TIMEZONE). */
  readonly zone: Zone;
  /** Imports only: read numbers in date fields as spreadsheet serial dates of this system. */
  readonly serialDates?: '1900' | '1904' | false;
  /**
   * Latest plausible instant (epoch ms) of a created time or cursor: a value past it is a value error.
   * Unset: no limit (pure parsing, e.g. in unit tests of the parser).
   */
  readonly latestMs?: number;
}

const BOOL_EXPECTED = 'yes/no, y/n, true/false or 1/0';

/**
 * Parses one raw source value for a field type. Returns the canonical text PostgreSQL will store
 * (a boolean for 'bool'), null for an empty value (null, undefined, empty or whitespace-only string),
 * or a ValueError saying what was expected. 'text' and 'clock' never fail.
 */
export function parseValue(type: FieldType, raw: unknown, ctx: ParseContext): string | boolean | null | ValueError {
  if (raw === null || raw === undefined) return null;
  switch (type) {
    case 'text':
      return parseText(raw);
    case 'id':
      return parseId(raw);
    case 'instant':
      return parseInstant(raw, ctx);
    case 'date':
      return parseDate(raw, ctx);
    case 'decimal':
      return parseDecimal(raw);
    case 'bool':
      return parseBool(raw);
    case 'clock':
      return parseClock(raw);
    default:
      // Unreachable from typed code; a registry typo in plain JS must not pass values through unparsed.
      throw new TypeError(`unknown field type ${String(type)}`);
  }
}

/** yes/no, y/n, true/false, 1/0 in any case; JS booleans; the numbers 1 and 0. */
function parseBool(raw: unknown): boolean | null | ValueError {
  if (typeof raw === 'boolean') return raw;
  if (raw === 1 || raw === 0) return raw === 1;
  if (typeof raw !== 'string') return expected(BOOL_EXPECTED, raw);
  const s = raw.trim();
  if (s === '') return null;
  switch (s.length <= 5 ? s.toLowerCase() : '') {
    case 'yes':
    case 'y':
    case 'true':
    case '1':
      return true;
    case 'no':
    case 'n':
    case 'false':
    case '0':
      return false;
    default:
      return expected(BOOL_EXPECTED, raw);
  }
}
