-- 005: each record stored once. Until now `_raw` held the whole source record beside the typed
-- columns, so every value was stored (and scanned, and written) twice. From here `_raw` keeps only what
-- the columns do not hold verbatim: the fields without a column (unknown ones, merged so a field the
-- source stops sending keeps its last value) and the source value of each typed field whose column
-- does not give it back as sent (a parsed date, a number sent as text, Yes/No, an empty string stored
-- as NULL, a value that did not parse). record_of(row) rebuilds the source record from both, and the
-- <table>_records views show it; reprocess reads records through it.
--
-- How a column gives a value back, the way the source writes it where that is fixed (the same rule as
-- storedVerbatim in src/transform/normalize.ts): text as a JSON string, ids and decimals as JSON
-- numbers, booleans as Yes/No, dates day first (07/01/2025), instants as ISO 8601 UTC with milliseconds
-- (a wall-clock rendering would depend on OTC_TIMEZONE), NULL as an absent field; then `_raw` is laid
-- over it, so a source value kept there wins.
--
-- Also: the record hash becomes a bigint (the first 64 bits of the same SHA-1, so a re-sync still
-- recognises every unchanged record), the run ids of the lineage become uuid (every run id is one;
-- etl_metadata.run_id stays text), and the generated _key column of timesheets goes with its second
-- unique index: timesheets_unique_entry (NULLS NOT DISTINCT) is the one index of the natural key.
--
-- Each table is rewritten once, by one ALTER TABLE, inside this migration's transaction; the space the
-- old copies took is free when it commits.

ALTER TABLE comments
  ALTER COLUMN _raw TYPE jsonb USING _raw - ARRAY[
    CASE WHEN _raw -> 'TKTCT-CommentID' = to_jsonb("comment_id") THEN 'TKTCT-CommentID' END,
    CASE WHEN _raw -> 'TKTCT-TicketID' = to_jsonb("ticket_id") THEN 'TKTCT-TicketID' END,
    CASE WHEN _raw -> 'TKTCT-Comment' = to_jsonb("comment_text") THEN 'TKTCT-Comment' END,
    CASE WHEN _raw -> 'TKTCT-UserID' = to_jsonb("user_id") THEN 'TKTCT-UserID' END,
    CASE WHEN _raw -> 'TKTCT-Username' = to_jsonb("user_name") THEN 'TKTCT-Username' END,
    CASE WHEN _raw -> 'TKTCT-OwnerType' = to_jsonb("owner_type") THEN 'TKTCT-OwnerType' END,
    CASE WHEN _raw -> 'TKTCT-Created Time' = to_jsonb(to_char("created_time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'TKTCT-Created Time' END,
    CASE WHEN _raw -> 'TKTCT-VisibleCustomer' = to_jsonb(CASE WHEN "visible_to_customer" THEN 'Yes' WHEN NOT "visible_to_customer" THEN 'No' END) THEN 'TKTCT-VisibleCustomer' END,
    CASE WHEN _raw -> 'TKTCT-Type' = to_jsonb("comment_type") THEN 'TKTCT-Type' END,
    CASE WHEN _raw -> 'TKTCT-Team' = to_jsonb("team") THEN 'TKTCT-Team' END
  ]::text[],
  ALTER COLUMN _record_hash TYPE bigint USING CASE WHEN _record_hash ~ '^[A-Za-z0-9+/]{27}=$'
    THEN ('x' || encode(substring(decode(_record_hash, 'base64') FROM 1 FOR 8), 'hex'))::bit(64)::bigint END,
  ALTER COLUMN _first_run_id TYPE uuid USING _first_run_id::uuid,
  ALTER COLUMN _last_run_id TYPE uuid USING _last_run_id::uuid;

ALTER TABLE comments_removed
  ALTER COLUMN _raw TYPE jsonb USING _raw - ARRAY[
    CASE WHEN _raw -> 'TKTCT-CommentID' = to_jsonb("comment_id") THEN 'TKTCT-CommentID' END,
    CASE WHEN _raw -> 'TKTCT-TicketID' = to_jsonb("ticket_id") THEN 'TKTCT-TicketID' END,
    CASE WHEN _raw -> 'TKTCT-Comment' = to_jsonb("comment_text") THEN 'TKTCT-Comment' END,
    CASE WHEN _raw -> 'TKTCT-UserID' = to_jsonb("user_id") THEN 'TKTCT-UserID' END,
    CASE WHEN _raw -> 'TKTCT-Username' = to_jsonb("user_name") THEN 'TKTCT-Username' END,
    CASE WHEN _raw -> 'TKTCT-OwnerType' = to_jsonb("owner_type") THEN 'TKTCT-OwnerType' END,
    CASE WHEN _raw -> 'TKTCT-Created Time' = to_jsonb(to_char("created_time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'TKTCT-Created Time' END,
    CASE WHEN _raw -> 'TKTCT-VisibleCustomer' = to_jsonb(CASE WHEN "visible_to_customer" THEN 'Yes' WHEN NOT "visible_to_customer" THEN 'No' END) THEN 'TKTCT-VisibleCustomer' END,
    CASE WHEN _raw -> 'TKTCT-Type' = to_jsonb("comment_type") THEN 'TKTCT-Type' END,
    CASE WHEN _raw -> 'TKTCT-Team' = to_jsonb("team") THEN 'TKTCT-Team' END
  ]::text[],
  ALTER COLUMN _record_hash TYPE bigint USING CASE WHEN _record_hash ~ '^[A-Za-z0-9+/]{27}=$'
    THEN ('x' || encode(substring(decode(_record_hash, 'base64') FROM 1 FOR 8), 'hex'))::bit(64)::bigint END,
  ALTER COLUMN _first_run_id TYPE uuid USING _first_run_id::uuid,
  ALTER COLUMN _last_run_id TYPE uuid USING _last_run_id::uuid;

ALTER TABLE timesheets
  DROP CONSTRAINT timesheets_key_unique,
  DROP COLUMN _key,
  ALTER COLUMN _raw TYPE jsonb USING _raw - ARRAY[
    CASE WHEN _raw -> 'TS-User Username' = to_jsonb("TS-User Username") THEN 'TS-User Username' END,
    CASE WHEN _raw -> 'TS-User Full Name' = to_jsonb("TS-User Full Name") THEN 'TS-User Full Name' END,
    CASE WHEN _raw -> 'TS-Date' = to_jsonb(to_char("TS-Date", 'DD/MM/YYYY')) THEN 'TS-Date' END,
    CASE WHEN _raw -> 'TS-Time From' = to_jsonb("TS-Time From") THEN 'TS-Time From' END,
    CASE WHEN _raw -> 'TS-Time To' = to_jsonb("TS-Time To") THEN 'TS-Time To' END,
    CASE WHEN _raw -> 'TS-Hours' = to_jsonb("TS-Hours") THEN 'TS-Hours' END,
    CASE WHEN _raw -> 'TS-Crm ID' = to_jsonb("TS-Crm ID") THEN 'TS-Crm ID' END,
    CASE WHEN _raw -> 'TS-Title' = to_jsonb("TS-Title") THEN 'TS-Title' END,
    CASE WHEN _raw -> 'TS-Description' = to_jsonb("TS-Description") THEN 'TS-Description' END,
    CASE WHEN _raw -> 'TS-Notes' = to_jsonb("TS-Notes") THEN 'TS-Notes' END,
    CASE WHEN _raw -> 'TS-Type' = to_jsonb("TS-Type") THEN 'TS-Type' END,
    CASE WHEN _raw -> 'TS-Category' = to_jsonb("TS-Category") THEN 'TS-Category' END,
    CASE WHEN _raw -> 'TS-Sub Category' = to_jsonb("TS-Sub Category") THEN 'TS-Sub Category' END,
    CASE WHEN _raw -> 'TS-Category 2' = to_jsonb("TS-Category 2") THEN 'TS-Category 2' END,
    CASE WHEN _raw -> 'TS-Ticket Project Master Code' = to_jsonb("TS-Ticket Project Master Code") THEN 'TS-Ticket Project Master Code' END,
    CASE WHEN _raw -> 'TS-Account Name' = to_jsonb("TS-Account Name") THEN 'TS-Account Name' END,
    CASE WHEN _raw -> 'TS-Account Selcom' = to_jsonb("TS-Account Selcom") THEN 'TS-Account Selcom' END,
    CASE WHEN _raw -> 'TS-Account Bill State' = to_jsonb("TS-Account Bill State") THEN 'TS-Account Bill State' END,
    CASE WHEN _raw -> 'TS-Account Internal' = to_jsonb("TS-Account Internal") THEN 'TS-Account Internal' END,
    CASE WHEN _raw -> 'TS-Ticket Department' = to_jsonb("TS-Ticket Department") THEN 'TS-Ticket Department' END,
    CASE WHEN _raw -> 'TS-Costcentre' = to_jsonb("TS-Costcentre") THEN 'TS-Costcentre' END,
    CASE WHEN _raw -> 'TS-Costcentre ID' = to_jsonb("TS-Costcentre ID") THEN 'TS-Costcentre ID' END,
    CASE WHEN _raw -> 'TS-Costcentre Desc' = to_jsonb("TS-Costcentre Desc") THEN 'TS-Costcentre Desc' END,
    CASE WHEN _raw -> 'TS-Charge Code' = to_jsonb("TS-Charge Code") THEN 'TS-Charge Code' END,
    CASE WHEN _raw -> 'TS-Client Bill Code' = to_jsonb("TS-Client Bill Code") THEN 'TS-Client Bill Code' END,
    CASE WHEN _raw -> 'TS-Billable' = to_jsonb(CASE WHEN "TS-Billable" THEN 'Yes' WHEN NOT "TS-Billable" THEN 'No' END) THEN 'TS-Billable' END,
    CASE WHEN _raw -> 'TS-Approved' = to_jsonb(CASE WHEN "TS-Approved" THEN 'Yes' WHEN NOT "TS-Approved" THEN 'No' END) THEN 'TS-Approved' END,
    CASE WHEN _raw -> 'TS-Modified Time' = to_jsonb(to_char("TS-Modified Time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'TS-Modified Time' END
  ]::text[],
  ALTER COLUMN _record_hash TYPE bigint USING CASE WHEN _record_hash ~ '^[A-Za-z0-9+/]{27}=$'
    THEN ('x' || encode(substring(decode(_record_hash, 'base64') FROM 1 FOR 8), 'hex'))::bit(64)::bigint END,
  ALTER COLUMN _first_run_id TYPE uuid USING _first_run_id::uuid,
  ALTER COLUMN _last_run_id TYPE uuid USING _last_run_id::uuid;

ALTER TABLE timesheets_removed
  DROP COLUMN _key,
  ALTER COLUMN _raw TYPE jsonb USING _raw - ARRAY[
    CASE WHEN _raw -> 'TS-User Username' = to_jsonb("TS-User Username") THEN 'TS-User Username' END,
    CASE WHEN _raw -> 'TS-User Full Name' = to_jsonb("TS-User Full Name") THEN 'TS-User Full Name' END,
    CASE WHEN _raw -> 'TS-Date' = to_jsonb(to_char("TS-Date", 'DD/MM/YYYY')) THEN 'TS-Date' END,
    CASE WHEN _raw -> 'TS-Time From' = to_jsonb("TS-Time From") THEN 'TS-Time From' END,
    CASE WHEN _raw -> 'TS-Time To' = to_jsonb("TS-Time To") THEN 'TS-Time To' END,
    CASE WHEN _raw -> 'TS-Hours' = to_jsonb("TS-Hours") THEN 'TS-Hours' END,
    CASE WHEN _raw -> 'TS-Crm ID' = to_jsonb("TS-Crm ID") THEN 'TS-Crm ID' END,
    CASE WHEN _raw -> 'TS-Title' = to_jsonb("TS-Title") THEN 'TS-Title' END,
    CASE WHEN _raw -> 'TS-Description' = to_jsonb("TS-Description") THEN 'TS-Description' END,
    CASE WHEN _raw -> 'TS-Notes' = to_jsonb("TS-Notes") THEN 'TS-Notes' END,
    CASE WHEN _raw -> 'TS-Type' = to_jsonb("TS-Type") THEN 'TS-Type' END,
    CASE WHEN _raw -> 'TS-Category' = to_jsonb("TS-Category") THEN 'TS-Category' END,
    CASE WHEN _raw -> 'TS-Sub Category' = to_jsonb("TS-Sub Category") THEN 'TS-Sub Category' END,
    CASE WHEN _raw -> 'TS-Category 2' = to_jsonb("TS-Category 2") THEN 'TS-Category 2' END,
    CASE WHEN _raw -> 'TS-Ticket Project Master Code' = to_jsonb("TS-Ticket Project Master Code") THEN 'TS-Ticket Project Master Code' END,
    CASE WHEN _raw -> 'TS-Account Name' = to_jsonb("TS-Account Name") THEN 'TS-Account Name' END,
    CASE WHEN _raw -> 'TS-Account Selcom' = to_jsonb("TS-Account Selcom") THEN 'TS-Account Selcom' END,
    CASE WHEN _raw -> 'TS-Account Bill State' = to_jsonb("TS-Account Bill State") THEN 'TS-Account Bill State' END,
    CASE WHEN _raw -> 'TS-Account Internal' = to_jsonb("TS-Account Internal") THEN 'TS-Account Internal' END,
    CASE WHEN _raw -> 'TS-Ticket Department' = to_jsonb("TS-Ticket Department") THEN 'TS-Ticket Department' END,
    CASE WHEN _raw -> 'TS-Costcentre' = to_jsonb("TS-Costcentre") THEN 'TS-Costcentre' END,
    CASE WHEN _raw -> 'TS-Costcentre ID' = to_jsonb("TS-Costcentre ID") THEN 'TS-Costcentre ID' END,
    CASE WHEN _raw -> 'TS-Costcentre Desc' = to_jsonb("TS-Costcentre Desc") THEN 'TS-Costcentre Desc' END,
    CASE WHEN _raw -> 'TS-Charge Code' = to_jsonb("TS-Charge Code") THEN 'TS-Charge Code' END,
    CASE WHEN _raw -> 'TS-Client Bill Code' = to_jsonb("TS-Client Bill Code") THEN 'TS-Client Bill Code' END,
    CASE WHEN _raw -> 'TS-Billable' = to_jsonb(CASE WHEN "TS-Billable" THEN 'Yes' WHEN NOT "TS-Billable" THEN 'No' END) THEN 'TS-Billable' END,
    CASE WHEN _raw -> 'TS-Approved' = to_jsonb(CASE WHEN "TS-Approved" THEN 'Yes' WHEN NOT "TS-Approved" THEN 'No' END) THEN 'TS-Approved' END,
    CASE WHEN _raw -> 'TS-Modified Time' = to_jsonb(to_char("TS-Modified Time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'TS-Modified Time' END
  ]::text[],
  ALTER COLUMN _record_hash TYPE bigint USING CASE WHEN _record_hash ~ '^[A-Za-z0-9+/]{27}=$'
    THEN ('x' || encode(substring(decode(_record_hash, 'base64') FROM 1 FOR 8), 'hex'))::bit(64)::bigint END,
  ALTER COLUMN _first_run_id TYPE uuid USING _first_run_id::uuid,
  ALTER COLUMN _last_run_id TYPE uuid USING _last_run_id::uuid;

ALTER TABLE tickets
  ALTER COLUMN _raw TYPE jsonb USING _raw - ARRAY[
    CASE WHEN _raw -> 'TKT-Ticket ID' = to_jsonb("TKT-Ticket ID") THEN 'TKT-Ticket ID' END,
    CASE WHEN _raw -> 'TKT-Created Time' = to_jsonb(to_char("TKT-Created Time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'TKT-Created Time' END,
    CASE WHEN _raw -> 'TKT-Modified Time' = to_jsonb(to_char("TKT-Modified Time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'TKT-Modified Time' END,
    CASE WHEN _raw -> 'TKT-Actual Response Date' = to_jsonb(to_char("TKT-Actual Response Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'TKT-Actual Response Date' END,
    CASE WHEN _raw -> 'TKT-Actual Resolution Date' = to_jsonb(to_char("TKT-Actual Resolution Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'TKT-Actual Resolution Date' END,
    CASE WHEN _raw -> 'TKT-Closure Date' = to_jsonb(to_char("TKT-Closure Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'TKT-Closure Date' END,
    CASE WHEN _raw -> 'TKT-SLA Closure Date' = to_jsonb(to_char("TKT-SLA Closure Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'TKT-SLA Closure Date' END,
    CASE WHEN _raw -> 'TKT-Due Date' = to_jsonb(to_char("TKT-Due Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'TKT-Due Date' END,
    CASE WHEN _raw -> 'Chg-Planned Start Date' = to_jsonb(to_char("Chg-Planned Start Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'Chg-Planned Start Date' END,
    CASE WHEN _raw -> 'Chg-Planned End Date' = to_jsonb(to_char("Chg-Planned End Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'Chg-Planned End Date' END,
    CASE WHEN _raw -> 'Chg-Actual Start Date' = to_jsonb(to_char("Chg-Actual Start Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'Chg-Actual Start Date' END,
    CASE WHEN _raw -> 'Chg-Actual End Date' = to_jsonb(to_char("Chg-Actual End Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN 'Chg-Actual End Date' END,
    CASE WHEN _raw -> 'TKT-Parent ID' = to_jsonb("TKT-Parent ID") THEN 'TKT-Parent ID' END,
    CASE WHEN _raw -> 'TKT-Account Id' = to_jsonb("TKT-Account Id") THEN 'TKT-Account Id' END,
    CASE WHEN _raw -> 'TKT-Assigned To Userid' = to_jsonb("TKT-Assigned To Userid") THEN 'TKT-Assigned To Userid' END,
    CASE WHEN _raw -> 'TKT-Created By Userid' = to_jsonb("TKT-Created By Userid") THEN 'TKT-Created By Userid' END,
    CASE WHEN _raw -> 'TKT-Related CI Ref#' = to_jsonb("TKT-Related CI Ref#") THEN 'TKT-Related CI Ref#' END,
    CASE WHEN _raw -> 'TKT-Title' = to_jsonb("TKT-Title") THEN 'TKT-Title' END,
    CASE WHEN _raw -> 'TKT-Description' = to_jsonb("TKT-Description") THEN 'TKT-Description' END,
    CASE WHEN _raw -> 'TKT-Status' = to_jsonb("TKT-Status") THEN 'TKT-Status' END,
    CASE WHEN _raw -> 'TKT-Severity' = to_jsonb("TKT-Severity") THEN 'TKT-Severity' END,
    CASE WHEN _raw -> 'TKT-Category' = to_jsonb("TKT-Category") THEN 'TKT-Category' END,
    CASE WHEN _raw -> 'TKT-Team' = to_jsonb("TKT-Team") THEN 'TKT-Team' END,
    CASE WHEN _raw -> 'TKT-Platform' = to_jsonb("TKT-Platform") THEN 'TKT-Platform' END,
    CASE WHEN _raw -> 'TKT-Group' = to_jsonb("TKT-Group") THEN 'TKT-Group' END,
    CASE WHEN _raw -> 'TKT-Assigned To User' = to_jsonb("TKT-Assigned To User") THEN 'TKT-Assigned To User' END,
    CASE WHEN _raw -> 'TKT-Created By User' = to_jsonb("TKT-Created By User") THEN 'TKT-Created By User' END,
    CASE WHEN _raw -> 'TKT-Account Name' = to_jsonb("TKT-Account Name") THEN 'TKT-Account Name' END,
    CASE WHEN _raw -> 'TKT-Client Name' = to_jsonb("TKT-Client Name") THEN 'TKT-Client Name' END,
    CASE WHEN _raw -> 'TKT-Customer Reference' = to_jsonb("TKT-Customer Reference") THEN 'TKT-Customer Reference' END,
    CASE WHEN _raw -> 'TKT-Month Created' = to_jsonb("TKT-Month Created") THEN 'TKT-Month Created' END,
    CASE WHEN _raw -> 'TKT-SLA' = to_jsonb("TKT-SLA") THEN 'TKT-SLA' END,
    CASE WHEN _raw -> 'TKT-Site Classification' = to_jsonb("TKT-Site Classification") THEN 'TKT-Site Classification' END,
    CASE WHEN _raw -> 'TKT-Site Status' = to_jsonb("TKT-Site Status") THEN 'TKT-Site Status' END,
    CASE WHEN _raw -> 'TKT-Selcom Key' = to_jsonb("TKT-Selcom Key") THEN 'TKT-Selcom Key' END,
    CASE WHEN _raw -> 'TKT-Job#/Ref#' = to_jsonb("TKT-Job#/Ref#") THEN 'TKT-Job#/Ref#' END,
    CASE WHEN _raw -> 'TKT-Resolution/Change Type' = to_jsonb("TKT-Resolution/Change Type") THEN 'TKT-Resolution/Change Type' END,
    CASE WHEN _raw -> 'TKT-Root Cause Category' = to_jsonb("TKT-Root Cause Category") THEN 'TKT-Root Cause Category' END,
    CASE WHEN _raw -> 'TKT-Ticket Source' = to_jsonb("TKT-Ticket Source") THEN 'TKT-Ticket Source' END,
    CASE WHEN _raw -> 'TKT-Related CI' = to_jsonb("TKT-Related CI") THEN 'TKT-Related CI' END,
    CASE WHEN _raw -> 'TKT-Response Met' = to_jsonb("TKT-Response Met") THEN 'TKT-Response Met' END,
    CASE WHEN _raw -> 'TKT-Resolution Met' = to_jsonb("TKT-Resolution Met") THEN 'TKT-Resolution Met' END,
    CASE WHEN _raw -> 'TKT-SLA Met' = to_jsonb("TKT-SLA Met") THEN 'TKT-SLA Met' END,
    CASE WHEN _raw -> 'TKT-SLA Exempt' = to_jsonb("TKT-SLA Exempt") THEN 'TKT-SLA Exempt' END,
    CASE WHEN _raw -> 'TKT-Mitigated Reason' = to_jsonb("TKT-Mitigated Reason") THEN 'TKT-Mitigated Reason' END,
    CASE WHEN _raw -> 'TKT-SLA Clock Status' = to_jsonb("TKT-SLA Clock Status") THEN 'TKT-SLA Clock Status' END,
    CASE WHEN _raw -> 'TKT-SLA Breach Reason' = to_jsonb("TKT-SLA Breach Reason") THEN 'TKT-SLA Breach Reason' END,
    CASE WHEN _raw -> 'TKT-SLA Breach Comment' = to_jsonb("TKT-SLA Breach Comment") THEN 'TKT-SLA Breach Comment' END,
    CASE WHEN _raw -> 'TKT-QA Review Completed' = to_jsonb("TKT-QA Review Completed") THEN 'TKT-QA Review Completed' END,
    CASE WHEN _raw -> 'TKT-Month Closed' = to_jsonb("TKT-Month Closed") THEN 'TKT-Month Closed' END,
    CASE WHEN _raw -> 'TKT-Solution' = to_jsonb("TKT-Solution") THEN 'TKT-Solution' END,
    CASE WHEN _raw -> 'TKT-SLA Month Closed' = to_jsonb("TKT-SLA Month Closed") THEN 'TKT-SLA Month Closed' END,
    CASE WHEN _raw -> 'TKT-SLA Closed - This Month' = to_jsonb("TKT-SLA Closed - This Month") THEN 'TKT-SLA Closed - This Month' END,
    CASE WHEN _raw -> 'TKT-SLA Closed - Last Month' = to_jsonb("TKT-SLA Closed - Last Month") THEN 'TKT-SLA Closed - Last Month' END,
    CASE WHEN _raw -> 'TKT-Actual SLA Achievement' = to_jsonb("TKT-Actual SLA Achievement") THEN 'TKT-Actual SLA Achievement' END,
    CASE WHEN _raw -> 'Chg-Risk' = to_jsonb("Chg-Risk") THEN 'Chg-Risk' END,
    CASE WHEN _raw -> 'Chg-Trigger' = to_jsonb("Chg-Trigger") THEN 'Chg-Trigger' END,
    CASE WHEN _raw -> 'Chg-Type' = to_jsonb("Chg-Type") THEN 'Chg-Type' END,
    CASE WHEN _raw -> 'Chg-Approver' = to_jsonb("Chg-Approver") THEN 'Chg-Approver' END,
    CASE WHEN _raw -> 'Chg-Success' = to_jsonb("Chg-Success") THEN 'Chg-Success' END,
    CASE WHEN _raw -> 'TKT-Is Template' = to_jsonb("TKT-Is Template") THEN 'TKT-Is Template' END
  ]::text[],
  ALTER COLUMN _record_hash TYPE bigint USING CASE WHEN _record_hash ~ '^[A-Za-z0-9+/]{27}=$'
    THEN ('x' || encode(substring(decode(_record_hash, 'base64') FROM 1 FOR 8), 'hex'))::bit(64)::bigint END,
  ALTER COLUMN _first_run_id TYPE uuid USING _first_run_id::uuid,
  ALTER COLUMN _last_run_id TYPE uuid USING _last_run_id::uuid;

-- The source record of a row: its typed columns, rendered as above, with `_raw` laid over them.
-- jsonb_build_object takes at most 100 arguments, so the columns go in groups of 40.
CREATE FUNCTION record_of(t comments) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT jsonb_strip_nulls(
  jsonb_build_object(
    'TKTCT-CommentID', t."comment_id",
    'TKTCT-TicketID', t."ticket_id",
    'TKTCT-Comment', t."comment_text",
    'TKTCT-UserID', t."user_id",
    'TKTCT-Username', t."user_name",
    'TKTCT-OwnerType', t."owner_type",
    'TKTCT-Created Time', to_char(t."created_time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'TKTCT-VisibleCustomer', CASE WHEN t."visible_to_customer" THEN 'Yes' WHEN NOT t."visible_to_customer" THEN 'No' END,
    'TKTCT-Type', t."comment_type",
    'TKTCT-Team', t."team"
  )
) || t._raw
$$;
COMMENT ON FUNCTION record_of(comments) IS 'the source record of a comments row: typed columns and _raw';

CREATE FUNCTION record_of(t comments_removed) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT jsonb_strip_nulls(
  jsonb_build_object(
    'TKTCT-CommentID', t."comment_id",
    'TKTCT-TicketID', t."ticket_id",
    'TKTCT-Comment', t."comment_text",
    'TKTCT-UserID', t."user_id",
    'TKTCT-Username', t."user_name",
    'TKTCT-OwnerType', t."owner_type",
    'TKTCT-Created Time', to_char(t."created_time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'TKTCT-VisibleCustomer', CASE WHEN t."visible_to_customer" THEN 'Yes' WHEN NOT t."visible_to_customer" THEN 'No' END,
    'TKTCT-Type', t."comment_type",
    'TKTCT-Team', t."team"
  )
) || t._raw
$$;
COMMENT ON FUNCTION record_of(comments_removed) IS 'the source record of a comments_removed row: typed columns and _raw';

CREATE VIEW comments_records AS
SELECT t."comment_id", record_of(t) AS record, t._last_run_id, t._last_changed_at FROM comments t;
COMMENT ON VIEW comments_records IS 'each comments row as the source sent it (its natural key, then the record)';

CREATE FUNCTION record_of(t timesheets) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT jsonb_strip_nulls(
  jsonb_build_object(
    'TS-User Username', t."TS-User Username",
    'TS-User Full Name', t."TS-User Full Name",
    'TS-Date', to_char(t."TS-Date", 'DD/MM/YYYY'),
    'TS-Time From', t."TS-Time From",
    'TS-Time To', t."TS-Time To",
    'TS-Hours', t."TS-Hours",
    'TS-Crm ID', t."TS-Crm ID",
    'TS-Title', t."TS-Title",
    'TS-Description', t."TS-Description",
    'TS-Notes', t."TS-Notes",
    'TS-Type', t."TS-Type",
    'TS-Category', t."TS-Category",
    'TS-Sub Category', t."TS-Sub Category",
    'TS-Category 2', t."TS-Category 2",
    'TS-Ticket Project Master Code', t."TS-Ticket Project Master Code",
    'TS-Account Name', t."TS-Account Name",
    'TS-Account Selcom', t."TS-Account Selcom",
    'TS-Account Bill State', t."TS-Account Bill State",
    'TS-Account Internal', t."TS-Account Internal",
    'TS-Ticket Department', t."TS-Ticket Department",
    'TS-Costcentre', t."TS-Costcentre",
    'TS-Costcentre ID', t."TS-Costcentre ID",
    'TS-Costcentre Desc', t."TS-Costcentre Desc",
    'TS-Charge Code', t."TS-Charge Code",
    'TS-Client Bill Code', t."TS-Client Bill Code",
    'TS-Billable', CASE WHEN t."TS-Billable" THEN 'Yes' WHEN NOT t."TS-Billable" THEN 'No' END,
    'TS-Approved', CASE WHEN t."TS-Approved" THEN 'Yes' WHEN NOT t."TS-Approved" THEN 'No' END,
    'TS-Modified Time', to_char(t."TS-Modified Time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  )
) || t._raw
$$;
COMMENT ON FUNCTION record_of(timesheets) IS 'the source record of a timesheets row: typed columns and _raw';

CREATE FUNCTION record_of(t timesheets_removed) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT jsonb_strip_nulls(
  jsonb_build_object(
    'TS-User Username', t."TS-User Username",
    'TS-User Full Name', t."TS-User Full Name",
    'TS-Date', to_char(t."TS-Date", 'DD/MM/YYYY'),
    'TS-Time From', t."TS-Time From",
    'TS-Time To', t."TS-Time To",
    'TS-Hours', t."TS-Hours",
    'TS-Crm ID', t."TS-Crm ID",
    'TS-Title', t."TS-Title",
    'TS-Description', t."TS-Description",
    'TS-Notes', t."TS-Notes",
    'TS-Type', t."TS-Type",
    'TS-Category', t."TS-Category",
    'TS-Sub Category', t."TS-Sub Category",
    'TS-Category 2', t."TS-Category 2",
    'TS-Ticket Project Master Code', t."TS-Ticket Project Master Code",
    'TS-Account Name', t."TS-Account Name",
    'TS-Account Selcom', t."TS-Account Selcom",
    'TS-Account Bill State', t."TS-Account Bill State",
    'TS-Account Internal', t."TS-Account Internal",
    'TS-Ticket Department', t."TS-Ticket Department",
    'TS-Costcentre', t."TS-Costcentre",
    'TS-Costcentre ID', t."TS-Costcentre ID",
    'TS-Costcentre Desc', t."TS-Costcentre Desc",
    'TS-Charge Code', t."TS-Charge Code",
    'TS-Client Bill Code', t."TS-Client Bill Code",
    'TS-Billable', CASE WHEN t."TS-Billable" THEN 'Yes' WHEN NOT t."TS-Billable" THEN 'No' END,
    'TS-Approved', CASE WHEN t."TS-Approved" THEN 'Yes' WHEN NOT t."TS-Approved" THEN 'No' END,
    'TS-Modified Time', to_char(t."TS-Modified Time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  )
) || t._raw
$$;
COMMENT ON FUNCTION record_of(timesheets_removed) IS 'the source record of a timesheets_removed row: typed columns and _raw';

CREATE VIEW timesheets_records AS
SELECT t."TS-User Username", t."TS-Date", t."TS-Time From", t."TS-Crm ID", record_of(t) AS record, t._last_run_id, t._last_changed_at FROM timesheets t;
COMMENT ON VIEW timesheets_records IS 'each timesheets row as the source sent it (its natural key, then the record)';

CREATE FUNCTION record_of(t tickets) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT jsonb_strip_nulls(
  jsonb_build_object(
    'TKT-Ticket ID', t."TKT-Ticket ID",
    'TKT-Created Time', to_char(t."TKT-Created Time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'TKT-Modified Time', to_char(t."TKT-Modified Time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'TKT-Actual Response Date', to_char(t."TKT-Actual Response Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'TKT-Actual Resolution Date', to_char(t."TKT-Actual Resolution Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'TKT-Closure Date', to_char(t."TKT-Closure Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'TKT-SLA Closure Date', to_char(t."TKT-SLA Closure Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'TKT-Due Date', to_char(t."TKT-Due Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'Chg-Planned Start Date', to_char(t."Chg-Planned Start Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'Chg-Planned End Date', to_char(t."Chg-Planned End Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'Chg-Actual Start Date', to_char(t."Chg-Actual Start Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'Chg-Actual End Date', to_char(t."Chg-Actual End Date" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'TKT-Parent ID', t."TKT-Parent ID",
    'TKT-Account Id', t."TKT-Account Id",
    'TKT-Assigned To Userid', t."TKT-Assigned To Userid",
    'TKT-Created By Userid', t."TKT-Created By Userid",
    'TKT-Related CI Ref#', t."TKT-Related CI Ref#",
    'TKT-Title', t."TKT-Title",
    'TKT-Description', t."TKT-Description",
    'TKT-Status', t."TKT-Status",
    'TKT-Severity', t."TKT-Severity",
    'TKT-Category', t."TKT-Category",
    'TKT-Team', t."TKT-Team",
    'TKT-Platform', t."TKT-Platform",
    'TKT-Group', t."TKT-Group",
    'TKT-Assigned To User', t."TKT-Assigned To User",
    'TKT-Created By User', t."TKT-Created By User",
    'TKT-Account Name', t."TKT-Account Name",
    'TKT-Client Name', t."TKT-Client Name",
    'TKT-Customer Reference', t."TKT-Customer Reference",
    'TKT-Month Created', t."TKT-Month Created",
    'TKT-SLA', t."TKT-SLA",
    'TKT-Site Classification', t."TKT-Site Classification",
    'TKT-Site Status', t."TKT-Site Status",
    'TKT-Selcom Key', t."TKT-Selcom Key",
    'TKT-Job#/Ref#', t."TKT-Job#/Ref#",
    'TKT-Resolution/Change Type', t."TKT-Resolution/Change Type",
    'TKT-Root Cause Category', t."TKT-Root Cause Category",
    'TKT-Ticket Source', t."TKT-Ticket Source",
    'TKT-Related CI', t."TKT-Related CI"
  ) ||
  jsonb_build_object(
    'TKT-Response Met', t."TKT-Response Met",
    'TKT-Resolution Met', t."TKT-Resolution Met",
    'TKT-SLA Met', t."TKT-SLA Met",
    'TKT-SLA Exempt', t."TKT-SLA Exempt",
    'TKT-Mitigated Reason', t."TKT-Mitigated Reason",
    'TKT-SLA Clock Status', t."TKT-SLA Clock Status",
    'TKT-SLA Breach Reason', t."TKT-SLA Breach Reason",
    'TKT-SLA Breach Comment', t."TKT-SLA Breach Comment",
    'TKT-QA Review Completed', t."TKT-QA Review Completed",
    'TKT-Month Closed', t."TKT-Month Closed",
    'TKT-Solution', t."TKT-Solution",
    'TKT-SLA Month Closed', t."TKT-SLA Month Closed",
    'TKT-SLA Closed - This Month', t."TKT-SLA Closed - This Month",
    'TKT-SLA Closed - Last Month', t."TKT-SLA Closed - Last Month",
    'TKT-Actual SLA Achievement', t."TKT-Actual SLA Achievement",
    'Chg-Risk', t."Chg-Risk",
    'Chg-Trigger', t."Chg-Trigger",
    'Chg-Type', t."Chg-Type",
    'Chg-Approver', t."Chg-Approver",
    'Chg-Success', t."Chg-Success",
    'TKT-Is Template', t."TKT-Is Template"
  )
) || t._raw
$$;
COMMENT ON FUNCTION record_of(tickets) IS 'the source record of a tickets row: typed columns and _raw';

CREATE VIEW tickets_records AS
SELECT t."TKT-Ticket ID", record_of(t) AS record, t._last_run_id, t._last_changed_at FROM tickets t;
COMMENT ON VIEW tickets_records IS 'each tickets row as the source sent it (its natural key, then the record)';

