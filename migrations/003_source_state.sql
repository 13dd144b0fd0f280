-- 003: the protective client's shared state (SPEC §3). The circuit breaker and the request budget must
-- hold across views and across separate runs of the CLI (a cron job every few minutes, a manual run
-- beside it), so they live here rather than in a process. The client writes them in short transactions
-- of their own, never inside a view's data transaction, so a rolled-back view does not erase them.

-- One row per source. `source_state` is also the lock every process takes (SELECT … FOR UPDATE) before
-- deciding whether, and when, it may send a request.
CREATE TABLE source_state (
  source text PRIMARY KEY,
  breaker_state text NOT NULL DEFAULT 'closed' CHECK (breaker_state IN ('closed', 'open', 'half-open')),
  -- consecutive failed attempts (closed), or the count that opened it (open)
  consecutive_failures integer NOT NULL DEFAULT 0,
  half_open_successes integer NOT NULL DEFAULT 0,
  opened_at timestamptz,
  open_until timestamptz,
  -- the last failed attempt's message (never a credential)
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO source_state (source) VALUES ('otc');

-- Every request started, for the rolling-hour budget and the minimum interval. Rows older than a day
-- are pruned by the client.
CREATE TABLE source_requests (
  id bigserial PRIMARY KEY,
  source text NOT NULL DEFAULT 'otc',
  view_name text NOT NULL,
  requested_at timestamptz NOT NULL,
  finished_at timestamptz,
  -- HTTP status, or timeout / network / cancelled; NULL while in flight
  code text,
  pid integer,
  host text
);
CREATE INDEX source_requests_requested_at_idx ON source_requests (source, requested_at);
