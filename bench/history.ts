/**
 * How fast the ticket history answers: backlog_daily over a year, the status page's 90 days, the
 * time-in-status summary and tickets_as_of, on N tickets (default 10,000) created over the last year
 * with 1 to 6 versions each; and how much room the history takes per version. Run after a build:
 * `node dist/bench/history.js [N]`; with BENCH_DATABASE_URL (a throwaway database: its servicedesk
 * schema is dropped) on a server, else on an embedded database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations } from '../src/load/migrate.js';
import { openPgDb } from '../src/load/pg-db.js';
import { openPgliteDb } from '../src/load/pglite-db.js';
import { BACKLOG_SQL, TIME_IN_STATUS_SQL } from '../src/pipeline/history-data.js';

const n = Number(process.argv[2] ?? 10_000);
const RUNS = 5;
const url = process.env.BENCH_DATABASE_URL;
const dir = url ? null : mkdtempSync(join(tmpdir(), 'otc-etl-bench-history-'));
const db = url ? await openPgDb({ connectionString: url }) : await openPgliteDb(dir!);

// Ticket g is created at a random moment of the last year and gets 1 + g % 6 versions a few hours to
// days apart: Open first, then In Progress / Pending alternating, and a quarter never close.
const GROW = `
INSERT INTO servicedesk.ticket_history ("TKT-Ticket ID", "TKT-Title", "TKT-Status", "TKT-Team", "TKT-Assigned To User",
  "TKT-Category", "TKT-Created Time", "TKT-Modified Time", valid_from, run_id, source)
SELECT 100000 + g, 'Ticket ' || g,
  CASE WHEN v = 1 THEN 'Open'
       WHEN v = 1 + g % 6 AND g % 4 <> 0 THEN (ARRAY['Closed', 'Incident Resolved'])[1 + g % 2]
       WHEN v % 2 = 0 THEN 'In Progress' ELSE 'Pending' END,
  (ARRAY['NOC', 'Service Desk', 'Network', 'Security', 'Cloud - Infrastructure', 'Cloud - Applications', 'Unified Communications'])[1 + g % 7],
  'User ' || (g % 40), 'Incident', created, created + (v - 1) * step, created + (v - 1) * step, '00000000-0000-4000-8000-000000000001', 'api'
FROM (SELECT g, now() - random() * interval '365 days' AS created, (1 + random() * 72) * interval '1 hour' AS step
      FROM generate_series(1, ${n}) g) t
CROSS JOIN LATERAL generate_series(1, 1 + g % 6) v;
UPDATE servicedesk.ticket_history h SET valid_to = n.next_from
FROM (SELECT "TKT-Ticket ID" AS id, valid_from, lead(valid_from) OVER (PARTITION BY "TKT-Ticket ID" ORDER BY valid_from) AS next_from
      FROM servicedesk.ticket_history) n
WHERE h."TKT-Ticket ID" = n.id AND h.valid_from = n.valid_from AND n.next_from IS NOT NULL;`;

async function time(label: string, sql: string, params: unknown[] = []): Promise<void> {
  const ms: number[] = [];
  let count = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    count = (await db.query(sql, params)).rows.length;
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  console.log(
    `${db.kind} ${label}: median ${ms[Math.floor(RUNS / 2)]!.toFixed(0)} ms, best ${ms[0]!.toFixed(0)} ms (${count} rows, ${RUNS} runs)`,
  );
}

try {
  await db.exec('DROP SCHEMA IF EXISTS servicedesk CASCADE');
  await applyMigrations(db, { schema: 'servicedesk', timezone: null, adoptTimezone: 'Australia/Perth' });
  const started = performance.now();
  await db.exec(GROW);
  await db.exec('VACUUM ANALYZE servicedesk.ticket_history');
  const { rows } = await db.query<{ versions: number; bytes: string }>(
    `SELECT count(*)::int AS versions, pg_total_relation_size('servicedesk.ticket_history')::text AS bytes FROM servicedesk.ticket_history`,
  );
  const { versions, bytes } = rows[0]!;
  console.log(
    `${db.kind}: ${n} tickets, ${versions} versions built in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `ticket_history with its indexes ${(Number(bytes) / 1048576).toFixed(1)} MiB (${Math.round(Number(bytes) / versions)} bytes per version)`,
  );
  await time('backlog_daily over 365 days', `SELECT * FROM servicedesk.backlog_daily(current_date - 365, current_date)`);
  await time('status page backlog (90 days)', BACKLOG_SQL('servicedesk'), [90, 'Australia/Perth']);
  await time('status page time in status (90 days)', TIME_IN_STATUS_SQL('servicedesk'), [90]);
  await time('tickets_as_of six months ago', `SELECT * FROM servicedesk.tickets_as_of(now() - interval '182 days')`);
} finally {
  await db.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
