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
 * Conversion helpers, mirroring the product's value parser (src/transform/): they return NULL for a
 * value they cannot read instead of raising, so one odd value never aborts the adoption; the caller
 * counts those values and keeps the originals.
 */
const HELPERS_SQL = String.raw`
-- A wall-clock time in OTC_TIMEZONE. PostgreSQL reads a time that occurs twice (clocks going back) as
-- the later instant; the product reads the earlier one, so look for an earlier instant with the same
-- wall clock. A time in a gap (clocks going forward) is read with the offset before it, as the product does.
CREATE FUNCTION ${SCRATCH}.local_instant(ts timestamp) RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
DECLARE
  zone text := ${ZONE_SQL};
  t timestamptz := ts AT TIME ZONE zone;
  shift interval;
BEGIN
  FOREACH shift IN ARRAY ARRAY[interval '2 hours', interval '1 hour', interval '30 minutes'] LOOP
    IF ((t - shift) AT TIME ZONE zone) = ts THEN RETURN t - shift; END IF;
  END LOOP;
  RETURN t;
EXCEPTION WHEN others THEN RETURN NULL;
END $$;

-- ISO 8601 (with or without T, fraction, Z or offset) and day-first D/M/YYYY [H:MM[:SS]] [AM|PM].
CREATE FUNCTION ${SCRATCH}.instant(raw text) RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
DECLARE
  s text := btrim(raw, E' \t\r\n');
  m text[];
  h int;
BEGIN
  IF s IS NULL OR s = '' THEN RETURN NULL; END IF;
  m := regexp_match(s, '^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*([AaPp][Mm])?)?$');
  IF m IS NOT NULL THEN
    h := coalesce(m[4], '0')::int;
    IF m[7] IS NOT NULL THEN
      IF h < 1 OR h > 12 THEN RETURN NULL; END IF;
      h := h % 12 + CASE WHEN lower(m[7]) = 'pm' THEN 12 ELSE 0 END;
    END IF;
    RETURN ${SCRATCH}.local_instant(make_timestamp(m[3]::int, m[2]::int, m[1]::int, h, coalesce(m[5], '0')::int, coalesce(m[6], '0')::float8));
  END IF;
  IF s !~ '^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*([Zz]|[+-]\d{2}(:?\d{2})?)?$' THEN RETURN NULL; END IF;
  IF s ~ '([Zz]|[+-]\d{2}(:?\d{2})?)$' AND s ~ '[ T]\d' THEN RETURN s::timestamptz; END IF;
  RETURN ${SCRATCH}.local_instant(s::timestamp);
EXCEPTION WHEN others THEN RETURN NULL;
END $$;

-- A naive date or date-time keeps its date; a value with an offset is reduced to its date in OTC_TIMEZONE.
CREATE FUNCTION ${SCRATCH}.local_date(raw text) RETURNS date LANGUAGE plpgsql STABLE AS $$
DECLARE
  s text := btrim(raw, E' \t\r\n');
  m text[];
BEGIN
  IF s IS NULL OR s = '' THEN RETURN NULL; END IF;
  m := regexp_match(s, '^(\d{1,2})/(\d{1,2})/(\d{4})$');
  IF m IS NOT NULL THEN RETURN make_date(m[3]::int, m[2]::int, m[1]::int); END IF;
  IF s ~ '^\d{4}-\d{1,2}-\d{1,2}$' THEN RETURN s::date; END IF;
  RETURN (${SCRATCH}.instant(s) AT TIME ZONE ${ZONE_SQL})::date;
EXCEPTION WHEN others THEN RETURN NULL;
END $$;

-- Ids: "123", " 123 ", "123.0"; commas are not thousands separators.
CREATE FUNCTION ${SCRATCH}.id(raw text) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE s text := btrim(raw, E' \t\r\n');
BEGIN
  IF s IS NULL OR s !~ '^[+-]?\d+(\.0+)?$' THEN RETURN NULL; END IF;
  RETURN split_part(s, '.', 1)::bigint;
EXCEPTION WHEN others THEN RETURN NULL;
END $$;

CREATE FUNCTION ${SCRATCH}.int4(raw text) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN ${SCRATCH}.id(raw)::integer;
EXCEPTION WHEN others THEN RETURN NULL;
END $$;

-- Decimals: "2.5", "2,5", "1e3"; stored without trailing zeros, as the product stores them.
CREATE FUNCTION ${SCRATCH}.decimal(raw text) RETURNS numeric LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE s text := btrim(raw, E' \t\r\n');
BEGIN
  IF s IS NULL OR s !~ '^[+-]?(\d+[.,]?\d*|[.,]\d+)([eE][+-]?\d{1,3})?$' THEN RETURN NULL; END IF;
  RETURN trim_scale(replace(s, ',', '.')::numeric);
EXCEPTION WHEN others THEN RETURN NULL;
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
  m := regexp_match(s, '^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?\s*([AaPp][Mm])?$');
  IF m IS NOT NULL THEN
    h := m[1]::int;
    IF m[3] IS NOT NULL THEN
      IF h < 1 OR h > 12 THEN RETURN s; END IF;
      h := h % 12 + CASE WHEN lower(m[3]) = 'pm' THEN 12 ELSE 0 END;
    END IF;
    IF h > 23 OR m[2]::int > 59 THEN RETURN s; END IF;
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
EXCEPTION WHEN others THEN RETURN s;
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
