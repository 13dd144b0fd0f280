/**
 * How long adopting a legacy schema takes (and so how long `migrate` holds its exclusive locks), on the
 * hand-built fixture scaled up with generated rows: N timesheets (10% of them duplicated), N/5 tickets,
 * N/2 comments. Run after a build: `node dist/bench/adopt-legacy.js [N]`; with BENCH_DATABASE_URL (a
 * throwaway database: its servicedesk schema is dropped) on a server, else on an embedded database.
 * BENCH_SETUP_ONLY=1 only builds the legacy schema (to profile the adoption separately).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adoptLegacySchema } from '../src/load/adopt-legacy.js';
import { listMigrations } from '../src/load/migrate.js';
import { openPgDb } from '../src/load/pg-db.js';
import { openPgliteDb } from '../src/load/pglite-db.js';
import { legacySchemaSql } from '../test/support/legacy-fixture.js';

const n = Number(process.argv[2] ?? 100_000);
const url = process.env.BENCH_DATABASE_URL;
const dir = url ? null : mkdtempSync(join(tmpdir(), 'otc-etl-bench-adopt-'));
const db = url ? await openPgDb({ connectionString: url }) : await openPgliteDb(dir!);

const GROW = `
INSERT INTO servicedesk.timesheets ("TS-User Username", "TS-User Full Name", "TS-Date", "TS-Time From", "TS-Time To",
  "TS-Hours", "TS-Crm ID", "TS-Title", "TS-Billable", "TS-Approved", "TS-Costcentre ID", "TS-Modified Time")
SELECT 'user' || (g % 50), 'User ' || (g % 50), to_char(date '2024-01-01' + (g / 50 % 500), 'DD/MM/YYYY'),
  to_char(time '07:00' + (g / 25000 % 20) * interval '30 minutes', 'HH24:MI'), '17:00',
  CASE WHEN g % 3 = 0 THEN '1,5' ELSE '2' END, CASE WHEN g % 7 = 0 THEN '' ELSE (100000 + g % 20000)::text END,
  'work', CASE WHEN g % 2 = 0 THEN 'Yes' ELSE 'No' END, 'true', 12, timestamp '2025-01-01 00:00' + g * interval '1 second'
FROM generate_series(1, ${n}) g;
INSERT INTO servicedesk.timesheets SELECT * FROM servicedesk.timesheets WHERE "TS-User Username" LIKE 'user%' AND random() < 0.1;
INSERT INTO servicedesk.tickets ("TKT-Ticket ID", "TKT-Title", "TKT-Status", "TKT-Team", "TKT-Created Time", "TKT-Modified Time", support_tier)
SELECT (100000 + g)::text, 'Ticket ' || g, 'Open', 'NOC', timestamp '2024-01-01' + g * interval '1 minute',
  to_char(timestamp '2024-06-01' + g * interval '1 minute', 'DD/MM/YYYY HH24:MI'), 'gold'
FROM generate_series(1, ${Math.floor(n / 5)}) g;
INSERT INTO servicedesk.comments (comment_id, ticket_id, comment_text, user_id, user_name, created_time, visible_to_customer)
SELECT (900000 + g)::text, 100000 + g % ${Math.max(1, Math.floor(n / 5))}, 'comment ' || g, '501', 'djewell',
  timestamp '2024-06-01' + g * interval '1 minute', CASE WHEN g % 2 = 0 THEN 'Yes' ELSE 'No' END
FROM generate_series(1, ${Math.floor(n / 2)}) g;`;

try {
  await db.exec('DROP SCHEMA IF EXISTS servicedesk CASCADE');
  await db.exec(legacySchemaSql());
  await db.exec(GROW);
  await db.exec('ANALYZE');
  const options = { schema: 'servicedesk', timezone: 'Australia/Perth', migrations: listMigrations() };
  for (const dryRun of process.env.BENCH_SETUP_ONLY ? [] : [true, false]) {
    const started = performance.now();
    const report = await adoptLegacySchema(db, { ...options, dryRun });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const rows = Object.entries(report!.tables)
      .map(([t, c]) => `${t} ${c.rowsBefore}→${c.rowsAfter}`)
      .join(', ');
    console.log(
      `${db.kind} ${dryRun ? 'dry run' : 'adoption'}: ${seconds} s; ${rows}; timesheet duplicates ${report!.timesheetDuplicatesMoved}`,
    );
  }
} finally {
  await db.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
