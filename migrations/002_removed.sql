-- 002: side tables for rows the source no longer has inside its window (SPEC §10).
-- Timesheets and comments come back whole for their window, so a stored row inside the payload's
-- window that the payload lacks was edited (an edited start time or ticket makes a new key) or
-- deleted upstream. It is moved here with every column, never silently deleted.
CREATE TABLE timesheets_removed (LIKE timesheets);
ALTER TABLE timesheets_removed
  ADD COLUMN removed_run_id text NOT NULL,
  ADD COLUMN removed_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX timesheets_removed_run_idx ON timesheets_removed (removed_run_id);

CREATE TABLE comments_removed (LIKE comments);
ALTER TABLE comments_removed
  ADD COLUMN removed_run_id text NOT NULL,
  ADD COLUMN removed_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX comments_removed_run_idx ON comments_removed (removed_run_id);
