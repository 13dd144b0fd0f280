/**
 * When rejected records fail a load. A view whose share of rejects passes the maximum rate fails instead
 * of loading, since that usually means the source changed its format. An export file too small for a
 * rate to mean much (one bad line of four is 25%) fails only when every record is rejected.
 */

/** Under this many records, an export file fails on rejects only when all of them are rejected. */
export const SMALL_FILE_RECORDS = 20;

export interface RejectTally {
  readonly fetched: number;
  readonly rejected: number;
}

/**
 * Why a load with these rejects must not commit, or null when it may. `maxRate` is OTC_MAX_REJECT_RATE or
 * the run's `--max-reject-rate`; `isExport` is true for an imported file. A rate of 1 accepts anything.
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
