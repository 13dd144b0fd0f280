-- 006: ticket history. The tickets view gives only each ticket's current state, and only for
-- tickets modified in the last ~10 days, so every distinct version the product sees is kept here.
-- Runs with search_path set to the target schema; the functions pin it (SET search_path FROM CURRENT)
-- so they work whatever search_path the analyst's session has.

-- Small settings the SQL objects need from the configuration. `migrate` and every sync or import write
-- OTC_TIMEZONE here, so backlog_daily counts the source's local days whatever the session's TimeZone.
CREATE TABLE etl_settings (
  name text PRIMARY KEY,
  value text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO etl_settings (name, value) VALUES ('timezone', 'Australia/Perth');

-- One row per distinct observed version of a ticket: the typed ticket columns as they were, in force
-- from valid_from (the version's TKT-Modified Time; when absent, when it was first seen) until valid_to
-- (the next version's valid_from; NULL for the current version). run_id and source say who saw it.
CREATE TABLE ticket_history (
  "TKT-Ticket ID" bigint NOT NULL,
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
  valid_from timestamptz NOT NULL,
  valid_to timestamptz,
  run_id uuid,
  source text,
  CONSTRAINT ticket_history_version_key UNIQUE ("TKT-Ticket ID", valid_from),
  CONSTRAINT ticket_history_chain_check CHECK (valid_to IS NULL OR valid_to > valid_from)
);

-- Versions written by one run (the load re-links those tickets' chains) and superseded versions past
-- OTC_HISTORY_DAYS (pruning).
CREATE INDEX ticket_history_run_idx ON ticket_history (run_id);
-- Each ticket's current version, which every load compares its changed tickets with.
CREATE INDEX ticket_history_current_idx ON ticket_history ("TKT-Ticket ID") WHERE valid_to IS NULL;
CREATE INDEX ticket_history_valid_to_idx ON ticket_history (valid_to);
-- backlog_daily reads only open versions: this index holds everything it needs from them.
CREATE INDEX ticket_history_open_idx ON ticket_history (valid_to)
  INCLUDE ("TKT-Ticket ID", valid_from, "TKT-Team", "TKT-Created Time")
  WHERE "TKT-Status" NOT IN ('Closed', 'Incident Resolved');

-- An existing database starts its history with each ticket's current version.
INSERT INTO ticket_history (
  "TKT-Ticket ID", "TKT-Created Time", "TKT-Modified Time", "TKT-Actual Response Date",
  "TKT-Actual Resolution Date", "TKT-Closure Date", "TKT-SLA Closure Date", "TKT-Due Date",
  "Chg-Planned Start Date", "Chg-Planned End Date", "Chg-Actual Start Date", "Chg-Actual End Date",
  "TKT-Parent ID", "TKT-Account Id", "TKT-Assigned To Userid", "TKT-Created By Userid",
  "TKT-Related CI Ref#", "TKT-Title", "TKT-Description", "TKT-Status", "TKT-Severity", "TKT-Category",
  "TKT-Team", "TKT-Platform", "TKT-Group", "TKT-Assigned To User", "TKT-Created By User",
  "TKT-Account Name", "TKT-Client Name", "TKT-Customer Reference", "TKT-Month Created", "TKT-SLA",
  "TKT-Site Classification", "TKT-Site Status", "TKT-Selcom Key", "TKT-Job#/Ref#",
  "TKT-Resolution/Change Type", "TKT-Root Cause Category", "TKT-Ticket Source", "TKT-Related CI",
  "TKT-Response Met", "TKT-Resolution Met", "TKT-SLA Met", "TKT-SLA Exempt", "TKT-Mitigated Reason",
  "TKT-SLA Clock Status", "TKT-SLA Breach Reason", "TKT-SLA Breach Comment", "TKT-QA Review Completed",
  "TKT-Month Closed", "TKT-Solution", "TKT-SLA Month Closed", "TKT-SLA Closed - This Month",
  "TKT-SLA Closed - Last Month", "TKT-Actual SLA Achievement", "Chg-Risk", "Chg-Trigger", "Chg-Type",
  "Chg-Approver", "Chg-Success", "TKT-Is Template",
  valid_from, run_id, source)
SELECT
  "TKT-Ticket ID", "TKT-Created Time", "TKT-Modified Time", "TKT-Actual Response Date",
  "TKT-Actual Resolution Date", "TKT-Closure Date", "TKT-SLA Closure Date", "TKT-Due Date",
  "Chg-Planned Start Date", "Chg-Planned End Date", "Chg-Actual Start Date", "Chg-Actual End Date",
  "TKT-Parent ID", "TKT-Account Id", "TKT-Assigned To Userid", "TKT-Created By Userid",
  "TKT-Related CI Ref#", "TKT-Title", "TKT-Description", "TKT-Status", "TKT-Severity", "TKT-Category",
  "TKT-Team", "TKT-Platform", "TKT-Group", "TKT-Assigned To User", "TKT-Created By User",
  "TKT-Account Name", "TKT-Client Name", "TKT-Customer Reference", "TKT-Month Created", "TKT-SLA",
  "TKT-Site Classification", "TKT-Site Status", "TKT-Selcom Key", "TKT-Job#/Ref#",
  "TKT-Resolution/Change Type", "TKT-Root Cause Category", "TKT-Ticket Source", "TKT-Related CI",
  "TKT-Response Met", "TKT-Resolution Met", "TKT-SLA Met", "TKT-SLA Exempt", "TKT-Mitigated Reason",
  "TKT-SLA Clock Status", "TKT-SLA Breach Reason", "TKT-SLA Breach Comment", "TKT-QA Review Completed",
  "TKT-Month Closed", "TKT-Solution", "TKT-SLA Month Closed", "TKT-SLA Closed - This Month",
  "TKT-SLA Closed - Last Month", "TKT-Actual SLA Achievement", "Chg-Risk", "Chg-Trigger", "Chg-Type",
  "Chg-Approver", "Chg-Success", "TKT-Is Template",
  coalesce("TKT-Modified Time", _first_loaded_at, _last_changed_at, now()), _last_run_id, 'migrate'
FROM tickets;

-- Each version with the instant it takes force. The first version seen of a ticket also stands for the
-- time between the ticket's creation and that first sighting (nothing else is known about it), so a
-- ticket is present from its created time on; every later version takes force at its valid_from.
CREATE VIEW v_ticket_versions AS
SELECT h.*,
       CASE WHEN lag(h.valid_from) OVER w IS NULL
            THEN least(h.valid_from, coalesce(h."TKT-Created Time", h.valid_from))
            ELSE h.valid_from END AS in_force_from
FROM ticket_history h
WINDOW w AS (PARTITION BY h."TKT-Ticket ID" ORDER BY h.valid_from);

-- The tickets as they were at an instant: the version in force then (valid_from <= at < valid_to; the
-- first version seen from the ticket's creation on), for every ticket created by then. Same columns as
-- tickets' own, in the same order (without _raw and lineage).
CREATE FUNCTION tickets_as_of(at timestamptz)
RETURNS TABLE (
  "TKT-Ticket ID" bigint,
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
  "TKT-Is Template" text
)
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $fn$
  SELECT
h."TKT-Ticket ID", h."TKT-Created Time", h."TKT-Modified Time", h."TKT-Actual Response Date",
    h."TKT-Actual Resolution Date", h."TKT-Closure Date", h."TKT-SLA Closure Date", h."TKT-Due Date",
    h."Chg-Planned Start Date", h."Chg-Planned End Date", h."Chg-Actual Start Date",
    h."Chg-Actual End Date", h."TKT-Parent ID", h."TKT-Account Id", h."TKT-Assigned To Userid",
    h."TKT-Created By Userid", h."TKT-Related CI Ref#", h."TKT-Title", h."TKT-Description",
    h."TKT-Status", h."TKT-Severity", h."TKT-Category", h."TKT-Team", h."TKT-Platform", h."TKT-Group",
    h."TKT-Assigned To User", h."TKT-Created By User", h."TKT-Account Name", h."TKT-Client Name",
    h."TKT-Customer Reference", h."TKT-Month Created", h."TKT-SLA", h."TKT-Site Classification",
    h."TKT-Site Status", h."TKT-Selcom Key", h."TKT-Job#/Ref#", h."TKT-Resolution/Change Type",
    h."TKT-Root Cause Category", h."TKT-Ticket Source", h."TKT-Related CI", h."TKT-Response Met",
    h."TKT-Resolution Met", h."TKT-SLA Met", h."TKT-SLA Exempt", h."TKT-Mitigated Reason",
    h."TKT-SLA Clock Status", h."TKT-SLA Breach Reason", h."TKT-SLA Breach Comment",
    h."TKT-QA Review Completed", h."TKT-Month Closed", h."TKT-Solution", h."TKT-SLA Month Closed",
    h."TKT-SLA Closed - This Month", h."TKT-SLA Closed - Last Month", h."TKT-Actual SLA Achievement",
    h."Chg-Risk", h."Chg-Trigger", h."Chg-Type", h."Chg-Approver", h."Chg-Success", h."TKT-Is Template"
  FROM ticket_history h
  WHERE (h.valid_to IS NULL OR h.valid_to > $1)
    AND coalesce(h."TKT-Created Time", h.valid_from) <= $1
    AND (h.valid_from <= $1
         OR NOT EXISTS (SELECT 1 FROM ticket_history p
                        WHERE p."TKT-Ticket ID" = h."TKT-Ticket ID" AND p.valid_from < h.valid_from))
$fn$;

-- How long each ticket stayed in each status: consecutive versions with the same status are one
-- interval (other fields, such as the assignee, may change inside it). team and assigned_to are those
-- of the version that entered the status. left_at is NULL while the ticket is still in the status;
-- duration then runs up to now.
CREATE VIEW v_ticket_status_intervals AS
WITH marked AS (
  SELECT v."TKT-Ticket ID" AS ticket_id, v."TKT-Status" AS status, v."TKT-Team" AS team,
         v."TKT-Assigned To User" AS assigned_to, v.valid_from, v.valid_to, v.in_force_from,
         CASE WHEN lag(v.valid_from) OVER w IS NOT NULL AND lag(v."TKT-Status") OVER w IS NOT DISTINCT FROM v."TKT-Status"
              THEN 0 ELSE 1 END AS starts
  FROM v_ticket_versions v
  WINDOW w AS (PARTITION BY v."TKT-Ticket ID" ORDER BY v.valid_from)
), grouped AS (
  SELECT m.*, sum(m.starts) OVER (PARTITION BY m.ticket_id ORDER BY m.valid_from) AS interval_no
  FROM marked m
), intervals AS (
  SELECT ticket_id,
         (array_agg(status ORDER BY valid_from))[1] AS status,
         (array_agg(team ORDER BY valid_from))[1] AS team,
         (array_agg(assigned_to ORDER BY valid_from))[1] AS assigned_to,
         min(in_force_from) AS entered_at,
         CASE WHEN bool_or(valid_to IS NULL) THEN NULL ELSE max(valid_to) END AS left_at
  FROM grouped
  GROUP BY ticket_id, interval_no
)
SELECT ticket_id, status, team, assigned_to, entered_at, left_at,
       coalesce(left_at, now()) - entered_at AS duration
FROM intervals;

-- Open tickets per local day and team: for each day from from_day to to_day (in the zone etl_settings
-- holds, OTC_TIMEZONE), the tickets created by the end of that day (the next local midnight) whose
-- version in force then had a status other than Closed or Incident Resolved. Days on which a team had
-- no open ticket are left out. Each open version adds one from its first day and removes one after its
-- last, and a running sum gives the days in between, so the cost follows the number of versions, not
-- versions times days.
CREATE FUNCTION backlog_daily(from_day date, to_day date)
RETURNS TABLE (day date, team text, open_tickets bigint)
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $fn$
  WITH zone AS (
    SELECT coalesce((SELECT value FROM etl_settings WHERE name = 'timezone'), 'Australia/Perth') AS tz
  ), open_versions AS (
    -- A day's end is the next local midnight; a version is in force at it when
    -- in_force_from <= end < valid_to, i.e. on the days [first_day, end_day).
    -- (in_force_from as v_ticket_versions defines it, without reading the closed versions).
    SELECT h."TKT-Team" AS team,
           greatest((CASE WHEN EXISTS (SELECT 1 FROM ticket_history p
                                       WHERE p."TKT-Ticket ID" = h."TKT-Ticket ID" AND p.valid_from < h.valid_from)
                          THEN h.valid_from
                          ELSE least(h.valid_from, coalesce(h."TKT-Created Time", h.valid_from)) END
                     AT TIME ZONE z.tz - interval '1 microsecond')::date,
                    (coalesce(h."TKT-Created Time", h.valid_from) AT TIME ZONE z.tz - interval '1 microsecond')::date,
                    $1) AS first_day,
           least((h.valid_to AT TIME ZONE z.tz - interval '1 microsecond')::date, $2 + 1) AS end_day
    FROM ticket_history h CROSS JOIN zone z
    WHERE h."TKT-Status" NOT IN ('Closed', 'Incident Resolved')
      AND (h.valid_to IS NULL OR h.valid_to > ($1 + 1)::timestamp AT TIME ZONE z.tz)
  ), spans AS (
    SELECT team, first_day, coalesce(end_day, $2 + 1) AS end_day FROM open_versions
  ), steps AS (
    SELECT team, first_day AS day, 1 AS delta FROM spans WHERE first_day < end_day
    UNION ALL
    SELECT team, end_day, -1 FROM spans WHERE first_day < end_day AND end_day <= $2
    UNION ALL
    -- every day for every team seen, so the running sum has a row for each
    SELECT t.team, $1 + d, 0
    FROM (SELECT DISTINCT team FROM spans WHERE first_day < end_day) t
    CROSS JOIN generate_series(0, $2 - $1) AS d
  ), counted AS (
    SELECT day, team, sum(sum(delta)) OVER (PARTITION BY team ORDER BY day) AS open_tickets
    FROM steps
    GROUP BY day, team
  )
  SELECT day, team, open_tickets::bigint FROM counted WHERE open_tickets > 0 ORDER BY day, team
$fn$;
