-- 004: the user lookup built from exact evidence (src/load/user-lookup.ts) and its SQL helpers.
-- Runs with search_path set to the target schema, so everything here lands in that schema.

-- Set when the evidence gives one short username more than one full name (e.g. a timesheet says
-- 'Jane Doe', a ticket assigned to the same user id says 'Jane Roe'): every candidate, sorted. Such a
-- row's full_name is NULL until a person decides and adds a 'manual' row; the refresh never picks one.
ALTER TABLE user_lookup ADD COLUMN ambiguous_full_names text[];

COMMENT ON COLUMN user_lookup.ambiguous_full_names IS
  'full names the evidence gives this short username when it gives more than one; full_name is then NULL';

-- The full name of a short login; NULL when unknown or ambiguous.
-- SET search_path FROM CURRENT pins the schema this migration ran in, so the function finds its
-- user_lookup whatever search_path the analyst's session has.
CREATE OR REPLACE FUNCTION get_full_name(short text) RETURNS text
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  SELECT full_name FROM user_lookup WHERE short_username = $1 AND ambiguous_full_names IS NULL
$$;

-- The short login of a full name; NULL when unknown, or when two people share the name.
CREATE OR REPLACE FUNCTION get_short_username(full text) RETURNS text
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  SELECT CASE WHEN count(*) = 1 THEN min(short_username) END
  FROM user_lookup
  WHERE full_name = $1 AND short_username IS NOT NULL
$$;
