/**
 * The guards a view's load passes before it commits, each refusing (LoadRefusedError, the view rolled
 * back) what would damage the stored rows: too many rejects, a payload far smaller than the last one,
 * a reprocess that would re-key rows. And the removal of rows gone from the source's window, which the
 * volume guard protects.
 */
import { LoadRefusedError } from '../errors.js';
import { qualified, type Queryable } from '../load/db.js';
import { COMMITTED_API_RUNS } from '../load/runs.js';
import type { StoredRows, TableLoad } from '../load/table-load.js';
import type { ViewSpec } from '../registry.js';
import type { PayloadIndex } from './payload-index.js';

/** Under this many records, an export file fails on rejects only when all of them are rejected. */
export const SMALL_FILE_RECORDS = 20;

export interface RejectTally {
  readonly fetched: number;
  readonly rejected: number;
}

/**
 * Why a load with these rejects must not commit, or null when it may. A view whose share of rejects
 * passes the maximum rate fails instead of loading, since that usually means the source changed its
 * format. An export file too small for a rate to mean much (one bad line of four is 25%) fails only when
 * every record is rejected. `maxRate` is OTC_MAX_REJECT_RATE or the run's `--max-reject-rate`; `isExport`
 * is true for an imported file. A rate of 1 accepts anything.
 */
export function rejectRateProblem(view: string, maxRate: number, tally: RejectTally, isExport: boolean): string | null {
  const { fetched, rejected } = tally;
  if (fetched === 0 || rejected / fetched <= maxRate) return null;
  if (isExport && fetched < SMALL_FILE_RECORDS) {
    if (rejected < fetched) return null;
    return (
      `${view}: all ${fetched} records rejected; nothing was loaded. ` +
      'See load_rejects for the reasons: the file may not be an export of this view.'
    );
  }
  const pct = ((rejected / fetched) * 100).toFixed(1);
  return (
    `${view}: ${rejected} of ${fetched} records rejected (${pct}%, above the maximum reject rate ${maxRate}, ` +
    'OTC_MAX_REJECT_RATE or --max-reject-rate); nothing was loaded. The source may have changed its format: ' +
    'see load_rejects for the reasons. To load the rest anyway for this run, pass --max-reject-rate with a higher share.'
  );
}

/** The `--max-reject-rate` flag's value as a share from 0 to 1, or a message saying what is wrong. */
export function parseMaxRejectRate(text: string): number | string {
  const rate = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) {
    return `--max-reject-rate must be a share from 0 to 1 (0.05 is 5%), not ${JSON.stringify(text.slice(0, 40))}.`;
  }
  return rate;
}

/** Refuses a load whose rejects pass the rate (see `rejectRateProblem`). */
export function refuseRejectRate(view: string, maxRate: number, tally: RejectTally, isExport: boolean): void {
  const problem = rejectRateProblem(view, maxRate, tally, isExport);
  if (problem) throw new LoadRefusedError(problem, { view });
}

/**
 * The volume guard: a payload far smaller than the last successful fetch (or empty where there was
 * data) usually means a truncated or broken source, and loading it would make the removal step
 * discard good rows. Refused unless `sync --allow-shrink`.
 */
export async function refuseOnShrink(
  tx: Queryable,
  schema: string,
  spec: ViewSpec,
  fetched: number,
  minVolumeRatio: number,
): Promise<void> {
  const view = spec.name;
  const { rows } = await tx.query<{ last: number | null; stored: boolean }>(
    `SELECT (SELECT records_fetched FROM ${qualified(schema, COMMITTED_API_RUNS)}
             WHERE view_name = $1
             ORDER BY load_end DESC LIMIT 1) AS last,
            EXISTS (SELECT 1 FROM ${qualified(schema, spec.table)}) AS stored`,
    [view],
  );
  const last = Number(rows[0]?.last ?? 0);
  const hadData = last > 0 || rows[0]?.stored === true;
  if (fetched === 0 && hadData) {
    throw new LoadRefusedError(
      `${view}: the source sent no records although the view had data; nothing was loaded or removed. ` +
        'If the view really is empty now, run `otc-etl sync --allow-shrink`.',
      { view },
    );
  }
  if (last > 0 && fetched < last * minVolumeRatio) {
    throw new LoadRefusedError(
      `${view}: the source sent ${fetched} records, fewer than OTC_MIN_VOLUME_RATIO=${minVolumeRatio} ` +
        `of the last successful fetch (${last}); nothing was loaded or removed. If the shrink is real, run ` +
        '`otc-etl sync --allow-shrink`.',
      { view },
    );
  }
}

/**
 * Reprocess re-derives each stored row from its own source record, so every record should land on the row it
 * came from. A new key (an insert) or two rows landing on one key means the parser now reads a key
 * column differently: going on would leave the old rows beside the re-keyed ones and count their hours
 * twice, so the view is rolled back instead.
 */
export function refuseRekeying(view: string, rekeyed: number): void {
  if (rekeyed === 0) return;
  throw new LoadRefusedError(
    `${view}: reprocess would give ${rekeyed} stored rows a different key (the parser now reads a key column ` +
      'differently), leaving their old rows behind; nothing was changed. Find them by comparing the key columns ' +
      'with their record (servicedesk.record_of(row)), fix or remove them by hand, and run reprocess again.',
    { view },
  );
}

/**
 * Timesheets and comments come back whole for their window: a stored row inside the payload's window
 * (one day after its earliest value to its latest) that the payload lacks was edited or deleted
 * upstream, and is moved to the side table so its hours are not counted twice. The stored rows read
 * before the load say which those are; only a payload reaching back before them asks the table.
 */
export async function removeMissing(table: TableLoad, payload: PayloadIndex, stored: StoredRows, runId: string): Promise<number> {
  if (payload.windowMin === null || payload.windowMax === null) return 0;
  const window = await table.windowBounds(payload.windowMin, payload.windowMax, stored.since);
  const missing = window.coveredSince
    ? stored.missingFrom((row) => payload.hasId(row), window.fromMs, window.toMs)
    : (await table.storedKeysInWindow(payload.windowMin, payload.windowMax)).filter((key) => !payload.has(key));
  return table.moveToRemoved(missing, runId);
}
