-- 008: a user_lookup row whose full name no evidence supports is marked legacy, and never outranks evidence.
-- Runs with search_path set to the target schema, so everything here lands in that schema.

-- Set by the user lookup refresh on a non-manual row whose full name nothing in the stored views gives
-- its short username: typically a guess the previous loader made by last-name substring ('lee' for
-- 'Mina Lee'). The row is kept and shown, but where evidence ties the same full name to another login,
-- that login wins.
ALTER TABLE user_lookup ADD COLUMN legacy boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN user_lookup.legacy IS
  'true when no evidence in the stored views supports this row''s full_name (e.g. a guess by the previous loader); evidence-backed rows outrank it';

-- The short login of a full name; NULL when unknown, or when two people share the name. A legacy row
-- counts only when no evidence-backed (or manual) row has the name.
CREATE OR REPLACE FUNCTION get_short_username(full text) RETURNS text
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  SELECT CASE WHEN count(*) = 1 THEN min(short_username) END
  FROM user_lookup u
  WHERE full_name = $1 AND short_username IS NOT NULL
    AND (NOT u.legacy OR NOT EXISTS (
      SELECT 1 FROM user_lookup e WHERE e.full_name = $1 AND e.short_username IS NOT NULL AND NOT e.legacy))
$$;
