/**
 * What the status page shows of the ticket history: the open tickets per team per day (backlog_daily)
 * over the last days, and how long tickets stayed in each status (v_ticket_status_intervals).
 */
import { qualified, type Queryable } from '../load/db.js';

/** Days of backlog and of finished stays the page shows. */
export const HISTORY_DAYS_SHOWN = 90;

export interface BacklogPoint {
  /** `YYYY-MM-DD`, a day in OTC_TIMEZONE. */
  readonly day: string;
  readonly team: string | null;
  readonly open: number;
}

export interface StatusStay {
  readonly status: string | null;
  /** Stays in the status that ended within the period. */
  readonly stays: number;
  readonly medianHours: number;
  readonly p90Hours: number;
}

export interface HistorySummary {
  readonly days: number;
  /** The first and last day shown (today in OTC_TIMEZONE). */
  readonly fromDay: string;
  readonly toDay: string;
  readonly backlog: readonly BacklogPoint[];
  readonly timeInStatus: readonly StatusStay[];
  readonly versions: number;
  readonly tickets: number;
}

/** Parameters: $1 days, $2 OTC_TIMEZONE. Today is the last day. */
export const BACKLOG_SQL = (schema: string): string =>
  `SELECT day::text AS day, team, open_tickets::int AS open
   FROM ${qualified(schema, 'backlog_daily')}((now() AT TIME ZONE $2)::date - ($1::int - 1), (now() AT TIME ZONE $2)::date)`;

/** Parameter: $1 days. Stays that ended within the period, in hours. */
export const TIME_IN_STATUS_SQL = (schema: string): string =>
  `SELECT status, count(*)::int AS stays,
          percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM duration) / 3600)::float8 AS median,
          percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM duration) / 3600)::float8 AS p90
   FROM ${qualified(schema, 'v_ticket_status_intervals')}
   WHERE left_at IS NOT NULL AND left_at > now() - make_interval(days => $1::int)
   GROUP BY status ORDER BY status`;

/** The page's history section; null when the schema has no ticket history (not migrated yet). */
export async function readHistorySummary(
  db: Queryable,
  schema: string,
  timezone: string,
  days = HISTORY_DAYS_SHOWN,
): Promise<HistorySummary | null> {
  const { rows: found } = await db.query<{ exists: boolean; from_day: string; to_day: string }>(
    `SELECT to_regclass($1) IS NOT NULL AS exists,
            ((now() AT TIME ZONE $2)::date - ($3::int - 1))::text AS from_day, (now() AT TIME ZONE $2)::date::text AS to_day`,
    [qualified(schema, 'ticket_history'), timezone, days],
  );
  if (!found[0]?.exists) return null;
  const backlog = await db.query<{ day: string; team: string | null; open: number }>(BACKLOG_SQL(schema), [days, timezone]);
  const stays = await db.query<{ status: string | null; stays: number; median: number; p90: number }>(TIME_IN_STATUS_SQL(schema), [days]);
  const size = await db.query<{ versions: number; tickets: number }>(
    `SELECT count(*)::int AS versions, count(DISTINCT "TKT-Ticket ID")::int AS tickets FROM ${qualified(schema, 'ticket_history')}`,
  );
  return {
    days,
    fromDay: found[0].from_day,
    toDay: found[0].to_day,
    backlog: backlog.rows.map((r) => ({ day: r.day, team: r.team, open: Number(r.open) })),
    timeInStatus: stays.rows.map((r) => ({
      status: r.status,
      stays: Number(r.stays),
      medianHours: Number(r.median),
      p90Hours: Number(r.p90),
    })),
    versions: size.rows[0]?.versions ?? 0,
    tickets: size.rows[0]?.tickets ?? 0,
  };
}
