/**
 * `otc-etl demo` (what `npm start` runs): a simulator on a free port, a sync into the embedded
 * database in ./.otc-etl-demo (never OTC_DATA_DIR), then the status table and a few analyst numbers
 * computed by SQL on the loaded data. No credentials and no server needed.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Config } from '../../config.js';
import type { ExitCode } from '../../errors.js';
import { qualified, type Queryable } from '../../load/db.js';
import { withRunLock } from '../../pipeline/guard.js';
import { readState } from '../../pipeline/read-view-state.js';
import { runSync } from '../../pipeline/sync.js';
import { startSimulator } from '../../simulator/index.js';
import { openSource } from '../../pipeline/source.js';
import { table } from '../format.js';
import { terminalProgress } from '../progress.js';
import { withDb, type Runtime } from '../runtime.js';
import { exitCodeOf, outcomesTable } from './sync.js';
import { parseIntFlag, parseScale } from './simulate.js';
import { statusText } from './status.js';

export const DEMO_DATA_DIR = './.otc-etl-demo';

async function analystNumbers(db: Queryable, schema: string): Promise<Record<string, unknown>> {
  const t = (name: string) => qualified(schema, name);
  const fcr = await db.query<{ closed: number; fcr: number }>(
    `SELECT count(*)::int AS closed,
            count(*) FILTER (WHERE (SELECT count(*) FROM ${t('comments')} c
                                     WHERE c.ticket_id = k."TKT-Ticket ID" AND c.visible_to_customer = 'Yes') <= 1)::int AS fcr
     FROM ${t('tickets')} k WHERE k."TKT-Status" IN ('Closed', 'Resolved')`,
  );
  const backlog = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${t('tickets')}
     WHERE "TKT-Assigned To User" LIKE '%PendingAssignment%' AND "TKT-Status" NOT IN ('Closed', 'Incident Resolved')`,
  );
  const hours = await db.query<{ team: string; hours: string }>(
    `SELECT k."TKT-Team" AS team, round(sum(s."TS-Hours"), 1)::text AS hours
     FROM ${t('timesheets')} s JOIN ${t('tickets')} k ON s."TS-Crm ID" = k."TKT-Ticket ID"
     GROUP BY 1 ORDER BY sum(s."TS-Hours") DESC LIMIT 5`,
  );
  const closed = fcr.rows[0]?.closed ?? 0;
  return {
    firstContactResolution: closed ? Number(((fcr.rows[0]!.fcr / closed) * 100).toFixed(1)) : null,
    closedTickets: closed,
    unassignedBacklog: backlog.rows[0]?.n ?? 0,
    hoursPerTeam: hours.rows.map((r) => ({ team: r.team, hours: Number(r.hours) })),
  };
}

export async function demoCommand(rt: Runtime, flags: { scale?: string; seed?: string; logFormat?: string }): Promise<ExitCode> {
  const password = randomBytes(12).toString('base64url');
  const sim = await startSimulator({
    port: 0,
    seed: parseIntFlag('--seed', flags.seed, 1),
    scale: parseScale(flags.scale),
    username: rt.config.username,
    password,
  });
  const dataDir = resolve(DEMO_DATA_DIR);
  // The simulator is local and tireless: no pacing needed, the other protections stay as configured.
  const config: Config = Object.freeze({
    ...rt.config,
    databaseUrl: null,
    usePgEnv: false,
    dataDir,
    baseUrl: sim.url,
    password,
    source: Object.freeze({ ...rt.config.source, minIntervalMs: 0, viewGapMs: 0, backoffInitialMs: 100 }),
  });
  try {
    rt.log.info({ simulator: sim.url, database: dataDir }, 'demo: syncing the simulator into the embedded database');
    return await withDb(config, async (db) => {
      const deps = { db, config, log: rt.log };
      const result = await withRunLock(deps, 'demo', { autoMigrate: true, migratePending: true }, () =>
        runSync({ ...deps, source: openSource(db, config, rt.log) }, { progress: terminalProgress(process.stderr, flags) }),
      );
      const status = await readState(db, config);
      const numbers = await analystNumbers(db, config.schema);
      rt.print({ runId: result.runId, database: dataDir, status, analysts: numbers }, () =>
        [
          `Synced the OTC simulator into ${dataDir} (run ${result.runId}).`,
          '',
          outcomesTable(result.outcomes),
          '',
          statusText(status),
          '',
          `First-contact resolution: ${numbers.firstContactResolution ?? '-'}% of ${String(numbers.closedTickets)} closed tickets`,
          `Unassigned backlog: ${String(numbers.unassignedBacklog)} tickets`,
          'Hours per team (top 5):',
          table(['team', 'hours'], (numbers.hoursPerTeam as Array<{ team: string; hours: number }>).map((h) => [h.team, h.hours])),
          '',
          `Query it yourself: OTC_DATA_DIR=${DEMO_DATA_DIR} npx otc-etl status, or open it with PGlite`,
          `(new PGlite('${DEMO_DATA_DIR}/pgdata')) and SELECT * FROM ${config.schema}.v_data_freshness;`,
        ].join('\n'),
      );
      return exitCodeOf(result.outcomes);
    }, { dataDir });
  } finally {
    await sim.close();
  }
}
