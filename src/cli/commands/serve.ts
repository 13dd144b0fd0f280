/**
 * `otc-etl serve`: a long-running process that syncs on a cron schedule (and at start with `--run-now`)
 * and answers `/healthz`, `/metrics`, the status page at `/`, and the operator's `POST /sync` (a full
 * sync now: 202, or 409 while one runs) and `POST /breaker/reset`. SIGTERM or SIGINT cancels a sync in
 * progress (its view rolls back and is recorded `cancelled`), waits for it, closes the database and
 * exits 0. With the embedded database the service holds it for its whole life, so status is read from
 * these endpoints.
 */
import { EXIT, MigrationRequiredError, type ExitCode } from '../../errors.js';
import type { Db } from '../../load/db.js';
import { inspectSchema, requireCurrent } from '../../load/migrate.js';
import { runLockKey } from '../../load/run-lock.js';
import { withRunLock } from '../../pipeline/guard.js';
import { resetBreaker } from '../../pipeline/breaker-control.js';
import { readMetrics } from '../../pipeline/metrics-data.js';
import { readReport } from '../../pipeline/report-data.js';
import { readState, unusableDatabaseState } from '../../pipeline/read-view-state.js';
import { otcSource, type OpenSource } from '../../pipeline/source.js';
import { runSync } from '../../pipeline/sync.js';
import { renderPage, type ServiceInfo } from '../../report/page.js';
import { METRICS_CONTENT_TYPE, metricsText } from '../../report/prometheus.js';
import { shownError } from '../../report/page-text.js';
import { FreshOrLast } from '../../service/fresh-or-last.js';
import { healthzOf } from '../../service/healthz.js';
import { jsonReply, startHttp, type Route } from '../../service/http.js';
import { checkSchedule, SyncScheduler, TRIGGER_WORDS, type SyncTrigger, type TickResult } from '../../service/scheduler.js';
import type { ViewSource } from '../../source/view-source.js';
import { scrub } from '../../log.js';
import { DEFAULT_CHART_RUNS, DEFAULT_HOST, DEFAULT_SCHEDULE, DEFAULT_SERVE_PORT, parseIntFlag } from '../flags.js';
import { dbOpenerOf } from '../io.js';
import { unloadedOutcomes } from '../outcome-output.js';
import type { Runtime } from '../runtime.js';
import { listenForStopSignals } from '../signals.js';

/** How long an endpoint waits for the database before answering from its last reading. */
const READ_DEADLINE_MS = 2_000;
const PAGE_REFRESH_S = 60;

export interface ServeFlags {
  schedule?: string;
  port?: string;
  host?: string;
  runNow?: boolean;
}

/** An empty database is migrated now, so the endpoints work before the first sync; a legacy one is refused. */
async function prepareSchema(rt: Runtime, db: Db): Promise<void> {
  const inspection = await inspectSchema(db, rt.config.schema);
  if (inspection.state === 'empty') {
    await withRunLock({ db, config: rt.config, log: rt.log }, 'serve', { autoMigrate: true }, async () => undefined);
    return;
  }
  requireCurrent(inspection, rt.config.schema);
}

function scheduledSync(rt: Runtime, db: Db, source: ViewSource) {
  return async (runId: string, signal: AbortSignal, trigger: SyncTrigger): Promise<TickResult> => {
    const log = rt.log.child({ runId });
    const result = await withRunLock({ db, config: rt.config, log }, 'serve', { autoMigrate: true }, () =>
      runSync({ db, config: rt.config, log: rt.log, source }, { signal, runId }),
    );
    const bad = unloadedOutcomes(result.outcomes);
    log.info({ trigger, views: Object.fromEntries(result.outcomes.map((o) => [o.view, o.status])) }, TRIGGER_WORDS[trigger].finished);
    return {
      outcome: bad.length ? `${bad.map((o) => `${o.view} ${o.status}`).join(', ')}` : 'completed',
      runId: result.runId,
      // Shown on /healthz and the page: without a body preview, which can hold record text.
      error: bad[0]?.error ? shownError(bad[0].error) : null,
    };
  };
}

function routes(rt: Runtime, db: Db, scheduler: SyncScheduler, schedule: string): Record<string, Route> {
  const config = rt.config;
  const state = new FreshOrLast(() => readState(db, config), READ_DEADLINE_MS);
  const metrics = new FreshOrLast(() => readMetrics(db, config), READ_DEADLINE_MS);
  const report = new FreshOrLast(() => readReport(db, config, { runs: DEFAULT_CHART_RUNS }), READ_DEADLINE_MS);
  const service = (): ServiceInfo => ({
    schedule,
    nextRun: scheduler.nextRun()?.toISOString() ?? null,
    syncing: scheduler.syncing,
    lastTick: scheduler.lastTick,
    refreshSeconds: PAGE_REFRESH_S,
  });
  const unavailable = (error: unknown) => scrub(error instanceof Error ? error.message : String(error));
  return {
    '/healthz': async () => {
      const service = { syncing: scheduler.syncing, nextRun: scheduler.nextRun()?.toISOString() ?? null, lastTick: scheduler.lastTick };
      let reply: ReturnType<typeof healthzOf>;
      try {
        const reading = await state.get();
        // Not fresh: a sync holds the embedded database; this is the last reading.
        reply = healthzOf(reading.value, { readAt: reading.at.toISOString(), fresh: reading.fresh, service });
      } catch (error) {
        const migrate = error instanceof MigrationRequiredError;
        reply = healthzOf(
          unusableDatabaseState(config, migrate ? unavailable(error) : `database unreachable: ${unavailable(error)}`, {
            reachable: migrate,
          }),
          { service },
        );
      }
      return jsonReply(reply.httpStatus, reply.doc);
    },
    '/metrics': async () => {
      try {
        return { status: 200, contentType: METRICS_CONTENT_TYPE, body: metricsText((await metrics.get()).value) };
      } catch (error) {
        return { status: 503, contentType: 'text/plain; charset=utf-8', body: `database unreachable: ${unavailable(error)}\n` };
      }
    },
    '/sync': {
      POST: async () => {
        // A sync of another process (cron beside the service, with a server database) is a run in progress too.
        const release = scheduler.syncing ? null : await db.tryAdvisoryLock(runLockKey(config.schema));
        if (!scheduler.syncing && !release) {
          return jsonReply(409, {
            error: 'another otc-etl sync, import or migrate is running against this database; try again when it is done',
            runId: null,
          });
        }
        await release?.();
        const run = scheduler.runNow('request');
        if (run.started) return jsonReply(202, { status: 'started', runId: run.runId, progress: '/healthz' });
        if (run.reason === 'stopping') return jsonReply(503, { error: 'the service is stopping' });
        return jsonReply(409, { error: 'a sync is already running; try again when it is done', runId: run.runId });
      },
    },
    // The service holds the embedded database for its whole life, so the CLI cannot reset it meanwhile.
    '/breaker/reset': {
      POST: async () => {
        const { before, after } = await resetBreaker(db, config, rt.log, 'POST /breaker/reset');
        return jsonReply(200, { ...after, reset: { was: before } });
      },
    },
    '/': async () => {
      try {
        return { status: 200, contentType: 'text/html; charset=utf-8', body: renderPage((await report.get()).value, service()) };
      } catch (error) {
        return { status: 503, contentType: 'text/plain; charset=utf-8', body: `database unreachable: ${unavailable(error)}\n` };
      }
    },
  };
}

export async function serveCommand(rt: Runtime, flags: ServeFlags): Promise<ExitCode> {
  const schedule = flags.schedule ?? DEFAULT_SCHEDULE;
  const port = parseIntFlag('--port', flags.port, DEFAULT_SERVE_PORT);
  const host = flags.host ?? DEFAULT_HOST;
  checkSchedule(schedule, rt.config.timezone);
  // Built before anything starts: a missing password is a configuration error (exit 2).
  const openSource = otcSource(rt.config, { log: rt.log });
  // Listened for from the start: a signal while the database opens stops the service once it is up.
  const stop = listenForStopSignals(rt.io, {
    second: (signal) => rt.log.warn({ signal }, 'second signal: exiting without waiting for the sync to roll back'),
  });
  try {
    await serveUntil(stop.received, rt, { schedule, port, host, runNow: flags.runNow === true, openSource });
  } finally {
    stop.remove();
  }
  rt.log.info('stopped');
  return EXIT.ok;
}

/** Serves until the first stop signal, then cancels a sync in progress and waits for it to record itself. */
async function serveUntil(
  stopSignal: Promise<NodeJS.Signals>,
  rt: Runtime,
  options: { schedule: string; port: number; host: string; runNow: boolean; openSource: OpenSource },
): Promise<void> {
  const { schedule, port, host } = options;
  const db = await dbOpenerOf(rt.io)(rt.config);
  try {
    const source = options.openSource(db);
    await prepareSchema(rt, db);
    const scheduler = new SyncScheduler({ schedule, timezone: rt.config.timezone, log: rt.log, sync: scheduledSync(rt, db, source) });
    const http = await startHttp(routes(rt, db, scheduler, schedule), { host, port, log: rt.log });
    try {
      scheduler.start();
      if (options.runNow) scheduler.runNow('start');
      const nextRun = scheduler.nextRun()?.toISOString() ?? null;
      rt.log.info({ url: http.url, schedule, timezone: rt.config.timezone, nextRun, database: db.label }, 'serving');
      rt.print(
        { url: http.url, schedule, timezone: rt.config.timezone, nextRun },
        () =>
          `otc-etl serving ${http.url} (/healthz, /metrics, /, POST /sync, POST /breaker/reset): schedule '${schedule}' in ${rt.config.timezone}, next sync ${nextRun ?? 'never'}`,
      );
      const signal = await stopSignal;
      rt.log.info({ signal }, 'stopping');
      await scheduler.stop(`the service received ${signal}`);
    } finally {
      await http.close();
    }
  } finally {
    await db.close();
  }
}
