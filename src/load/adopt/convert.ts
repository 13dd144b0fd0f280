/**
 * How a legacy column's values become the target type: the `USING` expression of ALTER COLUMN TYPE,
 * built from the scratch helpers so a value that cannot be read becomes NULL instead of aborting.
 */
import { SCRATCH, ZONE_SQL } from './scratch.js';

/** What a column means beyond its SQL type (the registry's clock fields, parts of a nullable key). */
export type ColumnSemantic = 'clock' | 'key-text' | null;

export interface Conversion {
  /** SQL expression over `ref` giving the target value. */
  readonly expr: string;
  /** Whether a non-empty value can come out NULL (counted and kept in load_rejects). */
  readonly canFail: boolean;
  /** How values are read, for the plan. */
  readonly how: string;
}

type Family = 'text' | 'int' | 'float' | 'numeric' | 'bool' | 'timestamp' | 'timestamptz' | 'date' | 'json' | 'jsonb' | 'other';

function familyOf(type: string): Family {
  const base = type
    .replace(/\(.*?\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (['text', 'character varying', 'character', 'name', 'citext', 'bpchar'].includes(base)) return 'text';
  if (['smallint', 'integer', 'bigint'].includes(base)) return 'int';
  if (['real', 'double precision'].includes(base)) return 'float';
  if (base === 'numeric') return 'numeric';
  if (base === 'boolean') return 'bool';
  if (base === 'timestamp without time zone') return 'timestamp';
  if (base === 'timestamp with time zone') return 'timestamptz';
  if (base === 'date') return 'date';
  if (base === 'json') return 'json';
  if (base === 'jsonb') return 'jsonb';
  return 'other';
}

const h = (name: string, arg: string) => `${SCRATCH}.${name}(${arg})`;

/** Empty or whitespace-only text is NULL (the loader's value rule too), so '' and NULL key parts are the same entry. */
export function blankToNull(ref: string): string {
  return `CASE WHEN ${ref}::text ~ '^\\s*$' THEN NULL ELSE ${ref}::text END`;
}

/**
 * The conversion of `ref` (a quoted column reference) from `from` to `to`. Null when the column needs
 * none; undefined when the adoption does not know how (a blocker).
 */
export function conversionOf(ref: string, from: string, to: string, semantic: ColumnSemantic): Conversion | null | undefined {
  const f = familyOf(from);
  if (semantic === 'clock') return { expr: h('clock', `${ref}::text`), canFail: false, how: 'times of day as HH:MM' };
  if (semantic === 'key-text' && to === 'text') {
    return { expr: blankToNull(ref), canFail: false, how: 'empty key parts as NULL' };
  }
  if (from === to) return null;
  const viaText = (helper: string, how: string): Conversion => ({ expr: h(helper, `${ref}::text`), canFail: true, how });
  switch (to) {
    case 'text':
      return { expr: `${ref}::text`, canFail: false, how: 'as text' };
    case 'bigint':
      if (f === 'int') return { expr: `${ref}::bigint`, canFail: false, how: 'whole numbers' };
      return viaText('id', 'whole numbers; 123.0 is 123');
    case 'integer':
      return viaText('int4', 'whole numbers');
    case 'numeric':
      if (f === 'int' || f === 'numeric') return { expr: `trim_scale(${ref}::numeric)`, canFail: false, how: 'as decimals' };
      return viaText('decimal', 'decimals; 2,5 is 2.5');
    case 'boolean':
      return viaText('bool', 'yes/no, y/n, true/false, 1/0');
    case 'timestamp with time zone':
      if (f === 'timestamp') return { expr: h('local_instant', ref), canFail: false, how: 'wall-clock time in OTC_TIMEZONE' };
      if (f === 'date') return { expr: h('local_instant', `${ref}::timestamp`), canFail: false, how: 'midnight in OTC_TIMEZONE' };
      return viaText('instant', 'ISO 8601 or day-first D/M/YYYY; without an offset, wall-clock time in OTC_TIMEZONE');
    case 'date':
      if (f === 'timestamp') return { expr: `${ref}::date`, canFail: false, how: 'the wall-clock date' };
      if (f === 'timestamptz') return { expr: `(${ref} AT TIME ZONE ${ZONE_SQL})::date`, canFail: false, how: 'the date in OTC_TIMEZONE' };
      return viaText('local_date', 'ISO 8601 or day-first D/M/YYYY');
    case 'jsonb':
      if (f === 'json') return { expr: `${ref}::jsonb`, canFail: false, how: 'as jsonb' };
      return undefined;
    default:
      return undefined;
  }
}

/** True for the rows whose non-empty value the conversion could not read. */
export function failedWhere(ref: string, conversion: Conversion): string {
  return `${ref} IS NOT NULL AND ${ref}::text !~ '^\\s*$' AND (${conversion.expr}) IS NULL`;
}
