-- 007: what the one model of a view's state (src/pipeline/view-state.ts) needs from the database.

-- Whether a run's fields_new / fields_missing were measured against the view's earlier committed API
-- syncs (set for API runs that read a whole body). Earlier rows listed fields against the registry
-- instead, and imports still do: the state model reads drift only from measured rows.
ALTER TABLE etl_metadata ADD COLUMN drift_measured boolean NOT NULL DEFAULT false;

-- The one definition of a committed API run: a sync that fetched from OTC and committed. Only these make
-- a view fresh; imports and reprocess runs never do. Every reader (v_data_freshness, status, metrics,
-- the volume guard, retention) selects from here instead of spelling the filter again.
CREATE VIEW v_committed_api_runs AS
SELECT m.*
FROM etl_metadata m
WHERE m.source = 'api' AND m.load_status IN ('success', 'partial');

-- Each view's window, written by `otc-etl migrate` from the product's registry of views (src/registry.ts),
-- so the window is set in one place and v_data_freshness follows it.
CREATE TABLE view_windows (
  view_name text PRIMARY KEY,
  window_days integer NOT NULL CHECK (window_days > 0),
  ord integer NOT NULL
);

-- v_data_freshness keeps its columns; its windows now come from view_windows.
CREATE OR REPLACE VIEW v_data_freshness AS
WITH last_ok AS (
  SELECT view_name, max(load_end) AS last_loaded
  FROM v_committed_api_runs
  GROUP BY view_name
), data AS (
  SELECT 'comments' AS view_name, max(created_time) AS latest, count(*) AS total FROM comments
  UNION ALL
  SELECT 'timesheets', max("TS-Modified Time"), count(*) FROM timesheets
  UNION ALL
  SELECT 'tickets', max("TKT-Modified Time"), count(*) FROM tickets
)
SELECT w.view_name,
       l.last_loaded,
       now() - l.last_loaded AS age,
       d.latest AS latest_data_date,
       coalesce(d.total, 0) AS total_records,
       (l.last_loaded IS NULL OR l.last_loaded < now() - make_interval(days => w.window_days)) AS is_stale
FROM view_windows w
LEFT JOIN last_ok l USING (view_name)
LEFT JOIN data d USING (view_name)
ORDER BY w.ord;

-- The source fields each view's committed API syncs have carried: what drift is measured against.
-- A field is new when no earlier committed sync carried it, and missing when the previous committed sync
-- carried it (last_run_id) and no record of this one does.
CREATE TABLE source_fields (
  view_name text NOT NULL,
  field text NOT NULL,
  first_run_id text NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_run_id text NOT NULL,
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (view_name, field)
);

COMMENT ON TABLE source_fields IS
  'API field names each view''s committed syncs have carried, with the first and last run that carried them';
