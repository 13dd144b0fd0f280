-- 001: the core schema (SPEC §4). Runs with search_path set to the target schema.
-- Identical on PostgreSQL 15 and on the embedded PGlite.
--
-- Every data table carries, besides its typed columns:
--   _raw           the source record, merged so a field the source stops sending keeps its last value
--   _record_hash   a hash of the last record written, so an unchanged record is recognised cheaply
--   _last_source   'api' or the imported file's name that last wrote the row
--   lineage        _first_run_id, _first_loaded_at, _last_run_id, _last_changed_at

CREATE TABLE comments (
  "comment_id" bigint PRIMARY KEY,
  "ticket_id" bigint,
  "comment_text" text,
  "user_id" bigint,
  "user_name" text,
  "owner_type" text,
  "created_time" timestamptz,
  "visible_to_customer" boolean,
  "comment_type" text,
  "team" text,
  _raw jsonb NOT NULL DEFAULT '{}'::jsonb,
  _record_hash text,
  _last_source text,
  _first_run_id text,
  _first_loaded_at timestamptz,
  _last_run_id text,
  _last_changed_at timestamptz
);

CREATE INDEX comments_ticket_id_idx ON comments ("ticket_id");
CREATE INDEX comments_user_name_idx ON comments ("user_name");
CREATE INDEX comments_created_time_idx ON comments ("created_time");

CREATE TABLE timesheets (
  "TS-User Username" text,
  "TS-User Full Name" text,
  "TS-Date" date,
  "TS-Time From" text,
  "TS-Time To" text,
  "TS-Hours" numeric,
  "TS-Crm ID" bigint,
  "TS-Title" text,
  "TS-Description" text,
  "TS-Notes" text,
  "TS-Type" text,
  "TS-Category" text,
  "TS-Sub Category" text,
  "TS-Category 2" text,
  "TS-Ticket Project Master Code" text,
  "TS-Account Name" text,
  "TS-Account Selcom" text,
  "TS-Account Bill State" text,
  "TS-Account Internal" text,
  "TS-Ticket Department" text,
  "TS-Costcentre" text,
  "TS-Costcentre ID" bigint,
  "TS-Costcentre Desc" text,
  "TS-Charge Code" text,
  "TS-Client Bill Code" text,
  "TS-Billable" boolean,
  "TS-Approved" boolean,
  "TS-Modified Time" timestamptz,
  _raw jsonb NOT NULL DEFAULT '{}'::jsonb,
  _record_hash text,
  _last_source text,
  _first_run_id text,
  _first_loaded_at timestamptz,
  _last_run_id text,
  _last_changed_at timestamptz,
  -- One text per natural key, NULL parts included, so joins on the key can use an index and a hash.
  _key text GENERATED ALWAYS AS (
    coalesce(length("TS-User Username")::text || ':' || "TS-User Username", '~') || '|' ||
    coalesce(("TS-Date" - DATE '2000-01-01')::text, '~') || '|' ||
    coalesce(length("TS-Time From")::text || ':' || "TS-Time From", '~') || '|' ||
    coalesce("TS-Crm ID"::text, '~')
  ) STORED NOT NULL,
  CONSTRAINT timesheets_unique_entry
    UNIQUE NULLS NOT DISTINCT ("TS-User Username", "TS-Date", "TS-Time From", "TS-Crm ID"),
  CONSTRAINT timesheets_key_unique UNIQUE (_key)
);

CREATE INDEX timesheets_crm_id_idx ON timesheets ("TS-Crm ID");
CREATE INDEX timesheets_date_idx ON timesheets ("TS-Date");
CREATE INDEX timesheets_user_full_name_idx ON timesheets ("TS-User Full Name");

CREATE TABLE tickets (
  "TKT-Ticket ID" bigint PRIMARY KEY,
  "TKT-Created Time" timestamptz,
  "TKT-Modified Time" timestamptz,
  "TKT-Actual Response Date" timestamptz,
  "TKT-Actual Resolution Date" timestamptz,
  "TKT-Closure Date" timestamptz,
  "TKT-SLA Closure Date" timestamptz,
  "TKT-Due Date" timestamptz,
  "Chg-Planned Start Date" timestamptz,
  "Chg-Planned End Date" timestamptz,
  "Chg-Actual Start Date" timestamptz,
  "Chg-Actual End Date" timestamptz,
  "TKT-Parent ID" bigint,
  "TKT-Account Id" bigint,
  "TKT-Assigned To Userid" bigint,
  "TKT-Created By Userid" bigint,
  "TKT-Related CI Ref#" bigint,
  "TKT-Title" text,
  "TKT-Description" text,
  "TKT-Status" text,
  "TKT-Severity" text,
  "TKT-Category" text,
  "TKT-Team" text,
  "TKT-Platform" text,
  "TKT-Group" text,
  "TKT-Assigned To User" text,
  "TKT-Created By User" text,
  "TKT-Account Name" text,
  "TKT-Client Name" text,
  "TKT-Customer Reference" text,
  "TKT-Month Created" text,
  "TKT-SLA" text,
  "TKT-Site Classification" text,
  "TKT-Site Status" text,
  "TKT-Selcom Key" text,
  "TKT-Job#/Ref#" text,
  "TKT-Resolution/Change Type" text,
  "TKT-Root Cause Category" text,
  "TKT-Ticket Source" text,
  "TKT-Related CI" text,
  "TKT-Response Met" text,
  "TKT-Resolution Met" text,
  "TKT-SLA Met" text,
  "TKT-SLA Exempt" text,
  "TKT-Mitigated Reason" text,
  "TKT-SLA Clock Status" text,
  "TKT-SLA Breach Reason" text,
  "TKT-SLA Breach Comment" text,
  "TKT-QA Review Completed" text,
  "TKT-Month Closed" text,
  "TKT-Solution" text,
  "TKT-SLA Month Closed" text,
  "TKT-SLA Closed - This Month" text,
  "TKT-SLA Closed - Last Month" text,
  "TKT-Actual SLA Achievement" text,
  "Chg-Risk" text,
  "Chg-Trigger" text,
  "Chg-Type" text,
  "Chg-Approver" text,
  "Chg-Success" text,
  "TKT-Is Template" text,
  _raw jsonb NOT NULL DEFAULT '{}'::jsonb,
  _record_hash text,
  _last_source text,
  _first_run_id text,
  _first_loaded_at timestamptz,
  _last_run_id text,
  _last_changed_at timestamptz
);

CREATE INDEX tickets_team_idx ON tickets ("TKT-Team");
CREATE INDEX tickets_status_idx ON tickets ("TKT-Status");
CREATE INDEX tickets_assigned_to_user_idx ON tickets ("TKT-Assigned To User");
CREATE INDEX tickets_created_time_idx ON tickets ("TKT-Created Time");
CREATE INDEX tickets_modified_time_idx ON tickets ("TKT-Modified Time");
CREATE INDEX tickets_category_idx ON tickets ("TKT-Category");
CREATE INDEX tickets_root_cause_category_idx ON tickets ("TKT-Root Cause Category");

-- One row per view per run, failed, cancelled and interrupted runs included.
CREATE TABLE etl_metadata (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL,
  view_name text NOT NULL,
  source text NOT NULL DEFAULT 'api',
  records_fetched bigint NOT NULL DEFAULT 0,
  records_inserted bigint NOT NULL DEFAULT 0,
  records_updated bigint NOT NULL DEFAULT 0,
  records_unchanged bigint NOT NULL DEFAULT 0,
  records_errors bigint NOT NULL DEFAULT 0,
  records_duplicates bigint NOT NULL DEFAULT 0,
  records_value_errors bigint NOT NULL DEFAULT 0,
  records_removed bigint NOT NULL DEFAULT 0,
  load_start timestamptz NOT NULL DEFAULT now(),
  load_end timestamptz,
  load_duration_seconds numeric,
  load_status text NOT NULL
    CHECK (load_status IN ('running', 'success', 'partial', 'failed', 'cancelled')),
  error_message text,
  last_load_time timestamptz,
  newest_cursor timestamptz,
  fields_new text[],
  fields_missing text[],
  pid integer,
  host text
);
CREATE INDEX etl_metadata_view_status_idx ON etl_metadata (view_name, load_status, load_end);
CREATE INDEX etl_metadata_run_idx ON etl_metadata (run_id);

-- The quarantine: records not stored (kind 'record') and values stored as NULL (kind 'value').
-- Written outside the view's transaction, so it survives a rollback.
CREATE TABLE load_rejects (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL,
  view_name text NOT NULL,
  source text NOT NULL DEFAULT 'api',
  position bigint,
  record_key text,
  kind text NOT NULL CHECK (kind IN ('record', 'value')),
  field text,
  reason text NOT NULL,
  raw_record jsonb,
  -- The record as escaped text when jsonb cannot hold it (NUL characters, broken surrogates).
  raw_text text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX load_rejects_run_idx ON load_rejects (run_id, view_name);

CREATE TABLE user_lookup (
  id bigserial PRIMARY KEY,
  short_username text,
  full_name text,
  user_id bigint,
  source text NOT NULL CHECK (source IN ('manual', 'timesheets', 'comments', 'tickets')),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX user_lookup_short_username_key ON user_lookup (short_username);
CREATE INDEX user_lookup_full_name_idx ON user_lookup (full_name);

-- Always three rows. last_loaded is the last committed API sync; is_stale means none within the window.
CREATE VIEW v_data_freshness AS
WITH views (view_name, window_span, ord) AS (
  VALUES ('comments', interval '10 days', 1),
         ('timesheets', interval '548 days', 2),
         ('tickets', interval '10 days', 3)
), last_ok AS (
  SELECT view_name, max(load_end) AS last_loaded
  FROM etl_metadata
  WHERE source = 'api' AND load_status IN ('success', 'partial')
  GROUP BY view_name
), data AS (
  SELECT 'comments' AS view_name, max(created_time) AS latest, count(*) AS total FROM comments
  UNION ALL
  SELECT 'timesheets', max("TS-Modified Time"), count(*) FROM timesheets
  UNION ALL
  SELECT 'tickets', max("TKT-Modified Time"), count(*) FROM tickets
)
SELECT v.view_name,
       l.last_loaded,
       now() - l.last_loaded AS age,
       d.latest AS latest_data_date,
       coalesce(d.total, 0) AS total_records,
       (l.last_loaded IS NULL OR l.last_loaded < now() - v.window_span) AS is_stale
FROM views v
LEFT JOIN last_ok l USING (view_name)
LEFT JOIN data d USING (view_name)
ORDER BY v.ord;

-- Exactly two rows: comments and timesheets whose ticket is not in tickets.
-- Admin time (no ticket id) is not an orphan.
CREATE VIEW v_orphaned_data AS
SELECT 'comments'::text AS source, count(*) AS count
FROM comments c
WHERE c.ticket_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t."TKT-Ticket ID" = c.ticket_id)
UNION ALL
SELECT 'timesheets'::text, count(*)
FROM timesheets s
WHERE s."TS-Crm ID" IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t."TKT-Ticket ID" = s."TS-Crm ID");
