/**
 * The protective client's shared state in the database (migration 003): the breaker in `source_state`,
 * request start times in `source_requests`. Each call is its own short transaction that locks the
 * source's row, so processes take turns deciding; it must never be called from inside another
 * transaction (the embedded database has one connection).
 */
import { scrub } from '../log.js';
import { hostname } from 'node:os';
import { CLOSED, type BreakerState } from '../source/breaker-policy.js';
import type { Admission } from '../source/pacing.js';
import { HOUR_MS } from '../source/pacing.js';
import type { RequestCode, SourceState, SourceStateStore } from '../source/source-state.js';
import { epochMsSql, qualified, type Db, type Queryable } from './db.js';

/** Requests are kept this long (for `health` and diagnosis), far longer than the budget's hour. */
const KEEP_REQUESTS_MS = 24 * HOUR_MS;

interface StateRow {
  now: number;
  breaker_state: 'closed' | 'open' | 'half-open' | null;
  consecutive_failures: number | null;
  half_open_successes: number | null;
  opened_at: number | null;
  open_until: number | null;
  last_error: string | null;
}

function breakerOf(row: StateRow): BreakerState {
  if (row.breaker_state === 'open') {
    return {
      state: 'open',
      failures: Number(row.consecutive_failures ?? 0),
      openedAt: Number(row.opened_at ?? row.now),
      openUntil: Number(row.open_until ?? row.now),
    };
  }
  if (row.breaker_state === 'half-open') return { state: 'half-open', successes: Number(row.half_open_successes ?? 0) };
  return { state: 'closed', failures: Number(row.consecutive_failures ?? 0) };
}

export class DbSourceStateStore implements SourceStateStore {
  private readonly state: string;
  private readonly requests: string;

  private readonly source = 'otc';

  /**
   * `now` (epoch ms) replaces the database's clock as the time every decision is made on; tests give
   * one so the waits the state asks for can be played out without waiting.
   */
  constructor(
    private readonly db: Db,
    schema: string,
    private readonly now?: () => number,
  ) {
    this.state = qualified(schema, 'source_state');
    this.requests = qualified(schema, 'source_requests');
  }

  read(): Promise<SourceState> {
    return this.readState(this.db, false);
  }

  admit(view: string, decide: (state: SourceState) => Admission) {
    return this.db.transaction(async (tx) => {
      const state = await this.readState(tx, true);
      const admission = decide(state);
      if (admission.kind !== 'send') return { admission, state, requestId: null };
      await this.writeBreaker(tx, admission.breaker, state.lastError);
      const { rows } = await tx.query<{ id: number }>(
        `INSERT INTO ${this.requests} (source, view_name, requested_at, pid, host)
         VALUES ($1, $2, to_timestamp($3::float8 / 1000), $4, $5) RETURNING id`,
        [this.source, view, state.now, process.pid, hostname()],
      );
      return { admission, state, requestId: Number(rows[0]!.id) };
    });
  }

  settle(
    requestId: number,
    code: RequestCode,
    next: (state: SourceState) => { breaker: BreakerState; lastError: string | null },
  ): Promise<BreakerState> {
    return this.db.transaction(async (tx) => {
      const state = await this.readState(tx, true);
      const { breaker, lastError } = next(state);
      await this.writeBreaker(tx, breaker, lastError);
      await tx.query(`UPDATE ${this.requests} SET code = $2, finished_at = to_timestamp($3::float8 / 1000) WHERE id = $1`, [
        requestId,
        code,
        state.now,
      ]);
      await tx.query(`DELETE FROM ${this.requests} WHERE source = $1 AND requested_at < to_timestamp($2::float8 / 1000)`, [
        this.source,
        state.now - KEEP_REQUESTS_MS,
      ]);
      return breaker;
    });
  }

  /**
   * Closes the breaker by an operator's decision (`otc-etl breaker --reset`, `POST /breaker/reset`),
   * under the same lock as every request's admission. The last error is kept: it still says what failed.
   * Returns the state before and after.
   */
  reset(): Promise<{ before: SourceState; after: SourceState }> {
    return this.db.transaction(async (tx) => {
      const before = await this.readState(tx, true);
      await this.writeBreaker(tx, CLOSED, before.lastError);
      return { before, after: { ...before, breaker: CLOSED } };
    });
  }

  private async readState(q: Queryable, lock: boolean): Promise<SourceState> {
    // The row is made by the migration; recreate it if someone deleted it, so the lock has a target.
    if (lock) await q.query(`INSERT INTO ${this.state} (source) VALUES ($1) ON CONFLICT (source) DO NOTHING`, [this.source]);
    const { rows } = await q.query<StateRow>(
      `SELECT ${this.nowSql(2)} AS now, breaker_state, consecutive_failures, half_open_successes,
              ${epochMsSql('opened_at')} AS opened_at, ${epochMsSql('open_until')} AS open_until, last_error
       FROM ${this.state} WHERE source = $1 ${lock ? 'FOR UPDATE' : ''}`,
      [this.source, ...this.nowParam()],
    );
    const row = rows[0] ?? (await this.missingRow(q));
    const recent = await q.query<{ at: number }>(
      `SELECT ${epochMsSql('requested_at')} AS at FROM ${this.requests}
       WHERE source = $1 AND requested_at > to_timestamp($2::float8 / 1000) ORDER BY requested_at`,
      [this.source, Number(row.now) - HOUR_MS],
    );
    return {
      now: Number(row.now),
      breaker: breakerOf(row),
      lastError: row.last_error,
      recentRequests: recent.rows.map((r) => Number(r.at)),
    };
  }

  /** The current time in SQL: the database's clock, or the injected one as parameter `$n`. */
  private nowSql(n: number): string {
    return this.now ? `$${n}::float8` : epochMsSql('clock_timestamp()');
  }

  private nowParam(): number[] {
    return this.now ? [this.now()] : [];
  }

  /** No row yet (only possible unlocked): a closed breaker, on the database's clock. */
  private async missingRow(q: Queryable): Promise<StateRow> {
    const { rows } = await q.query<{ now: number }>(`SELECT ${this.nowSql(1)} AS now`, this.nowParam());
    const none = { breaker_state: null, consecutive_failures: null, half_open_successes: null, opened_at: null, open_until: null };
    return { now: Number(rows[0]!.now), ...none, last_error: null };
  }

  private async writeBreaker(tx: Queryable, breaker: BreakerState, lastError: string | null): Promise<void> {
    const open = breaker.state === 'open' ? breaker : null;
    await tx.query(
      `UPDATE ${this.state} SET breaker_state = $2, consecutive_failures = $3, half_open_successes = $4,
         opened_at = to_timestamp($5::float8 / 1000), open_until = to_timestamp($6::float8 / 1000),
         last_error = $7, updated_at = now()
       WHERE source = $1`,
      [
        this.source,
        breaker.state,
        breaker.state === 'half-open' ? 0 : breaker.failures,
        breaker.state === 'half-open' ? breaker.successes : 0,
        open?.openedAt ?? null,
        open?.openUntil ?? null,
        lastError === null ? null : scrub(lastError),
      ],
    );
  }
}
