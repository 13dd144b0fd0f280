/**
 * `otc-etl demo` (what `npm start` runs): a simulator on a free port, a sync into the embedded
 * database in ./.otc-etl-demo (never OTC_DATA_DIR), then the status table and a few analyst numbers
 * computed by SQL on the loaded data. No credentials and no server needed. Each run moves the
 * simulator's tickets one step further, so the ticket history grows run by run.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Config } from '../../config.js';
import type { ExitCode } from '../../errors.js';
import { qualified, type Queryable } from '../../load/db.js';
import { API_SOURCE } from '../../load/source-kind.js';
import { withRunLock } from '../../pipeline/guard.js';
import { readState } from '../../pipeline/read-view-state.js';
import { runSync } from '../../pipeline/sync.js';
import { startSimulator } from '../../simulator/index.js';
import { otcSource } from '../../pipeline/source.js';
import { table } from '../format.js';
import { terminalProgress } from '../progress.js';
import { withDb, type Runtime } from '../runtime.js';
import { DEFAULT_SEED, parseIntFlag, parseScale } from '../flags.js';
import { exitCodeOf, outcomesTable } from '../outcome-output.js';
import { statusText } from '../state-output.js';

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

/**
 * The simulator's step for this demo run: the number of syncs already in the demo database, so each
 * `npm start` moves the tickets one step further and the history grows.
 */
async function syncsSoFar(db: Queryable, schema: string): Promise<number> {
  const { rows } = await db.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [qualified(schema, 'etl_metadata')]);
  if (!rows[0]?.exists) return 0;
  const counted = await db.query<{ n: number }>(
    `SELECT count(DISTINCT run_id)::int AS n FROM ${qualified(schema, 'etl_metadata')} WHERE source = $1`,
    [API_SOURCE],
  );
  return counted.rows[0]?.n ?? 0;
}

async function historyNumbers(db: Queryable, schema: string): Promise<{ versions: number; tickets: number; moved: number }> {
  const { rows } = await db.query<{ versions: number; tickets: number; moved: number }>(
    `SELECT count(*)::int AS versions, count(DISTINCT "TKT-Ticket ID")::int AS tickets,
            count(DISTINCT "TKT-Ticket ID") FILTER (WHERE valid_to IS NOT NULL)::int AS moved
     FROM ${qualified(schema, 'ticket_history')}`,
  );
  return rows[0] ?? { versions: 0, tickets: 0, moved: 0 };
}

export async function demoCommand(rt: Runtime, flags: { scale?: string; seed?: string; logFormat?: string }): Promise<ExitCode> {
  const password = randomBytes(12).toString('base64url');
  const dataDir = resolve(rt.io.cwd, DEMO_DATA_DIR);
  // The simulator is local and tireless: no pacing needed, the other protections stay as configured.
  const demoConfig: Config = Object.freeze({
    ...rt.config,
    databaseUrl: null,
    usePgEnv: false,
    dataDir,
    password,
    source: Object.freeze({ ...rt.config.source, minIntervalMs: 0, viewGapMs: 0, backoffInitialMs: 100 }),
  });
  return withDb(
    { ...rt, config: demoConfig },
    async (db) => {
      const step = await syncsSoFar(db, demoConfig.schema);
      const sim = await startSimulator({
        port: 0,
        seed: parseIntFlag('--seed', flags.seed, DEFAULT_SEED),
        scale: parseScale(flags.scale),
        step,
        timezone: rt.config.timezone,
        username: rt.config.username,
        password,
      });
      try {
        const config: Config = Object.freeze({ ...demoConfig, baseUrl: sim.url });
        rt.log.info({ simulator: sim.url, database: dataDir, step }, 'demo: syncing the simulator into the embedded database');
        const deps = { db, config, log: rt.log };
        const result = await withRunLock(deps, 'demo', { autoMigrate: true, migratePending: true }, () =>
          runSync({ ...deps, source: otcSource(config, { log: rt.log })(db) }, { progress: terminalProgress(rt.io.stderr, flags) }),
        );
        const status = await readState(db, config);
        const numbers = await analystNumbers(db, config.schema);
        const history = { step, ...(await historyNumbers(db, config.schema)) };
        rt.print({ runId: result.runId, database: dataDir, status, analysts: numbers, history }, () =>
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
            table(
              ['team', 'hours'],
              (numbers.hoursPerTeam as Array<{ team: string; hours: number }>).map((h) => [h.team, h.hours]),
            ),
            '',
            `Ticket history: ${String(history.versions)} versions of ${String(history.tickets)} tickets, ${String(history.moved)} of them ` +
              `seen to change (simulator step ${String(step)}); run npm start again to see tickets move.`,
            '',
            `Query it yourself: OTC_DATA_DIR=${DEMO_DATA_DIR} npx otc-etl status, or open it with PGlite`,
            `(new PGlite('${DEMO_DATA_DIR}/pgdata')) and SELECT * FROM ${config.schema}.v_data_freshness;`,
          ].join('\n'),
        );
        return exitCodeOf(result.outcomes);
      } finally {
        await sim.close();
      }
    },
    { dataDir },
  );
}
