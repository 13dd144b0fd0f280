/**
 * The scratch schema the adoption works with, inside its transaction: migrations 001 and 002 are run
 * into it, so the target the legacy schema is converted to is read from the shipped migration files
 * themselves (never a second copy of them), and the conversion helpers live there too. It is dropped
 * before the transaction commits; a dry run rolls it back with everything else.
 */
import { ident, type Tx } from '../db.js';
import type { Migration } from '../migrate.js';

/** A plain lower-case name, so the catalog prints it unquoted. */
export const SCRATCH = 'otc_etl_adopt_scratch';

/** The GUC the helpers read OTC_TIMEZONE from (set with set_config, so it is a parameter, not SQL text). */
const TIMEZONE_SETTING = 'otc_etl.adopt_timezone';
export const ZONE_SQL = `current_setting('${TIMEZONE_SETTING}')`;

/**
 * The product's date grammar (src/transform/date-scan.ts): `YYYY-M-D` or day-first `D/M/YYYY`, then
 * optionally `T` or spaces, `H:MM[:SS[.fff]]`, AM/PM, and `Z` or an offset `±HH[[:]MM]`.
 */
const DATE_PATTERN =
  '^(?:(\\d{4})-(\\d{1,2})-(\\d{1,2})|(\\d{1,2})/(\\d{1,2})/(\\d{4}))' +
  '(?:(?:[Tt]| +)(\\d{1,2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d+))?)? *(?:([AaPp][Mm]) *)?(?:([Zz])|([+-])(\\d{2})(?::?(\\d{2}))?)?)?$';

/**
 * Conversion helpers, mirroring the product's value parser (src/transform/). Every input is validated
 * before any cast, so they return NULL for a value they cannot read instead of raising: one odd value
 * never aborts the adoption, and there is no exception block (a subtransaction per value) to slow a
 * large table down. The caller counts those values and keeps the originals. They are PL/pgSQL, not
 * inlinable SQL, so the planner never folds a cast ahead of its guard.
 */
const HELPERS_SQL = String.raw`
-- A wall-clock date-time and, when the text has one, its UTC offset in minutes; NULLs when not a valid date.
CREATE FUNCTION ${SCRATCH}.wall_clock(raw text, OUT wall timestamp, OUT offset_minutes int) LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  m text[] := regexp_match(btrim(raw, E' \t\r\n'), '${DATE_PATTERN}');
  y int; mo int; d int; h int; mi int; sec int; ms int;
BEGIN
  IF m IS NULL THEN RETURN; END IF;
  y := coalesce(m[1], m[6])::int; mo := coalesce(m[2], m[5])::int; d := coalesce(m[3], m[4])::int;
  IF y < 1 OR mo < 1 OR mo > 12 OR d < 1 THEN RETURN; END IF;
  IF d > extract(day FROM make_date(y, mo, 1) + interval '1 month - 1 day') THEN RETURN; END IF;
  h := coalesce(m[7], '0')::int; mi := coalesce(m[8], '0')::int; sec := coalesce(m[9], '0')::int;
  ms := coalesce(rpad(left(m[10], 3), 3, '0'), '0')::int;
  IF mi > 59 OR sec > 59 THEN RETURN; END IF;
  IF m[11] IS NULL THEN
    IF h > 23 THEN RETURN; END IF;
  ELSE
    IF h < 1 OR h > 12 THEN RETURN; END IF;
    h := h % 12 + CASE WHEN lower(m[11]) = 'pm' THEN 12 ELSE 0 END;
  END IF;
  IF m[13] IS NOT NULL AND (m[14]::int > 23 OR coalesce(m[15], '0')::int > 59) THEN RETURN; END IF;
  wall := make_date(y, mo, d) + make_time(h, mi, sec + ms / 1000.0);
  IF m[12] IS NOT NULL THEN offset_minutes := 0; END IF;
  IF m[13] IS NOT NULL THEN
    offset_minutes := CASE m[13] WHEN '-' THEN -1 ELSE 1 END * (m[14]::int * 60 + coalesce(m[15], '0')::int);
  END IF;
END $$;

-- A wall-clock time in OTC_TIMEZONE. PostgreSQL reads a time that occurs twice (clocks going back) as
-- the later instant; the product reads the earlier one, so look for an earlier instant with the same
-- wall clock. A time in a gap (clocks going forward) is read with the offset before it, as the product does.
-- Plain SQL that cannot fail, so the planner inlines it into the conversion (no call per row).
CREATE FUNCTION ${SCRATCH}.local_instant(ts timestamp) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN ((ts AT TIME ZONE ${ZONE_SQL}) - interval '2 hours') AT TIME ZONE ${ZONE_SQL} = ts THEN (ts AT TIME ZONE ${ZONE_SQL}) - interval '2 hours'
    WHEN ((ts AT TIME ZONE ${ZONE_SQL}) - interval '1 hour') AT TIME ZONE ${ZONE_SQL} = ts THEN (ts AT TIME ZONE ${ZONE_SQL}) - interval '1 hour'
    WHEN ((ts AT TIME ZONE ${ZONE_SQL}) - interval '30 minutes') AT TIME ZONE ${ZONE_SQL} = ts THEN (ts AT TIME ZONE ${ZONE_SQL}) - interval '30 minutes'
    ELSE ts AT TIME ZONE ${ZONE_SQL}
  END
$$;

-- An instant: with an offset as given, without one as wall-clock time in OTC_TIMEZONE.
CREATE FUNCTION ${SCRATCH}.instant(raw text) RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
DECLARE w record := ${SCRATCH}.wall_clock(raw);
BEGIN
  IF w.offset_minutes IS NULL THEN RETURN ${SCRATCH}.local_instant(w.wall); END IF;
  RETURN (w.wall - make_interval(mins => w.offset_minutes)) AT TIME ZONE 'UTC';
END $$;

-- A naive date or date-time keeps its date; a value with an offset is reduced to its date in OTC_TIMEZONE.
CREATE FUNCTION ${SCRATCH}.local_date(raw text) RETURNS date LANGUAGE plpgsql STABLE AS $$
DECLARE w record := ${SCRATCH}.wall_clock(raw);
BEGIN
  IF w.offset_minutes IS NULL THEN RETURN w.wall::date; END IF;
  RETURN (((w.wall - make_interval(mins => w.offset_minutes)) AT TIME ZONE 'UTC') AT TIME ZONE ${ZONE_SQL})::date;
END $$;

-- Ids: "123", " 123 ", "123.0"; commas are not thousands separators.
CREATE FUNCTION ${SCRATCH}.id(raw text) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  s text := btrim(raw, E' \t\r\n');
  n numeric;
BEGIN
  IF s IS NULL OR s !~ '^[+-]?\d+(\.0+)?$' THEN RETURN NULL; END IF;
  n := split_part(s, '.', 1)::numeric;
  IF n < -9223372036854775808 OR n > 9223372036854775807 THEN RETURN NULL; END IF;
  RETURN n::bigint;
END $$;

CREATE FUNCTION ${SCRATCH}.int4(raw text) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE n bigint := ${SCRATCH}.id(raw);
BEGIN
  IF n < -2147483648 OR n > 2147483647 THEN RETURN NULL; END IF;
  RETURN n::integer;
END $$;

-- Decimals: "2.5", "2,5", "1e3"; stored without trailing zeros, as the product stores them.
CREATE FUNCTION ${SCRATCH}.decimal(raw text) RETURNS numeric LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE s text := btrim(raw, E' \t\r\n');
BEGIN
  IF s IS NULL OR s !~ '^[+-]?(\d+[.,]?\d*|[.,]\d+)([eE][+-]?\d{1,4})?$' THEN RETURN NULL; END IF;
  IF abs(coalesce(substring(s FROM '[eE]([+-]?\d+)$'), '0')::int) > 400 THEN RETURN NULL; END IF;
  RETURN trim_scale(replace(s, ',', '.')::numeric);
END $$;

-- yes/no, y/n, true/false, 1/0 in any case.
CREATE FUNCTION ${SCRATCH}.bool(raw text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE lower(btrim(raw, E' \t\r\n'))
    WHEN 'yes' THEN true WHEN 'y' THEN true WHEN 'true' THEN true WHEN '1' THEN true
    WHEN 'no' THEN false WHEN 'n' THEN false WHEN 'false' THEN false WHEN '0' THEN false
  END
$$;

-- Clock times as HH:MM: 9:00, 09:00:00, 9:00 AM, 900 and 0.375 all become 09:00; anything else is kept (trimmed).
CREATE FUNCTION ${SCRATCH}.clock(raw text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  s text := btrim(raw, E' \t\r\n');
  m text[];
  h int;
  n numeric;
  minutes int;
BEGIN
  IF s IS NULL OR s = '' THEN RETURN NULL; END IF;
  m := regexp_match(s, '^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)? *([AaPp][Mm])?$');
  IF m IS NOT NULL THEN
    h := m[1]::int;
    IF m[4] IS NOT NULL THEN
      IF h < 1 OR h > 12 THEN RETURN s; END IF;
      h := h % 12 + CASE WHEN lower(m[4]) = 'pm' THEN 12 ELSE 0 END;
    END IF;
    IF h > 23 OR m[2]::int > 59 OR coalesce(m[3], '0')::int > 59 THEN RETURN s; END IF;
    RETURN lpad(h::text, 2, '0') || ':' || m[2];
  END IF;
  IF s !~ '^(\d+\.?\d*|\.\d+)$' THEN RETURN s; END IF;
  n := s::numeric;
  IF n = trunc(n) THEN
    IF n > 2359 OR n % 100 > 59 THEN RETURN s; END IF;
    RETURN lpad((n::int / 100)::text, 2, '0') || ':' || lpad((n::int % 100)::text, 2, '0');
  END IF;
  IF n <= 0 OR n >= 1 THEN RETURN s; END IF;
  minutes := floor(round(n * 86400) / 60);
  IF minutes >= 1440 THEN RETURN s; END IF;
  RETURN lpad((minutes / 60)::text, 2, '0') || ':' || lpad((minutes % 60)::text, 2, '0');
END $$;
`;

/**
 * Creates the scratch schema with migrations 001 and 002 (the target) and the helpers. Leaves the
 * search_path on the target schema.
 */
export async function createScratch(tx: Tx, schema: string, timezone: string, template: readonly Migration[]): Promise<void> {
  await tx.exec(`DROP SCHEMA IF EXISTS ${SCRATCH} CASCADE; CREATE SCHEMA ${SCRATCH}`);
  await tx.exec(`SET LOCAL search_path TO ${SCRATCH}, public`);
  for (const migration of template) await tx.exec(migration.sql);
  await tx.exec(`SET LOCAL search_path TO ${ident(schema)}, public`);
  await tx.query('SELECT set_config($1, $2, true)', [TIMEZONE_SETTING, timezone]);
  await tx.exec(HELPERS_SQL);
}

export async function dropScratch(tx: Tx): Promise<void> {
  await tx.exec(`DROP SCHEMA IF EXISTS ${SCRATCH} CASCADE`);
}

/** Runs `fn` with the scratch schema first on the search_path (so catalog text names its objects unqualified). */
export async function withScratchPath<T>(tx: Tx, schema: string, fn: () => Promise<T>): Promise<T> {
  await tx.exec(`SET LOCAL search_path TO ${SCRATCH}, public`);
  try {
    return await fn();
  } finally {
    await tx.exec(`SET LOCAL search_path TO ${ident(schema)}, public`);
  }
}
