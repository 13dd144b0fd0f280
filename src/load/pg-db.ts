/** Server PostgreSQL adapter: one pool for the whole run, COPY through pg-copy-streams. */
import { finished } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { DatabaseUnavailableError } from '../errors.js';
import { endpointOf } from '../database-url.js';
import { scrub } from '../log.js';
import { COPY_IN_FLIGHT_BYTES, ident, sqlState, SQLSTATE, type CopyWriter, type Db, type QueryResult, type Tx } from './db.js';
import { lockTimeoutError } from './lock-timeout.js';

// Counts and ids come back as numbers (int8 → Number); numeric stays text to keep its precision.
pg.types.setTypeParser(20, (v) => Number(v));

/** Connection errors that mean the server is not there (as opposed to a bad query). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
  '3D000',
  '28P01',
  '28000',
  '57P03',
]);

export interface PgDbOptions {
  /** Connection string, or null to use the standard PG* environment variables. */
  readonly connectionString: string | null;
  readonly applicationName?: string;
  /** Longest wait of any statement for a lock, ms (OTC_DB_LOCK_TIMEOUT_MS); unset: the server's default. */
  readonly lockTimeoutMs?: number;
}

/**
 * A connection failure as the user-facing error (exit 4). `opening`: the first connection of the run,
 * where any failure — TLS refused or unverifiable, a certificate file missing — means "cannot connect".
 */
function wrapConnectError(error: unknown, label: string, opening = false): unknown {
  const code = (error as { code?: string }).code;
  if (opening || (code && UNREACHABLE.has(code))) {
    const reason = scrub(error instanceof Error ? error.message : String(error));
    return new DatabaseUnavailableError(
      `cannot reach the database at ${label}: ${reason}. Check DATABASE_URL (or the PG* variables, sslmode included) and that the server is running.`,
      { cause: error },
    );
  }
  return error;
}

const ignoreError = (): void => undefined;

/** The server process id of a client's connection (typed as private in @types/pg). */
function backendPid(client: pg.PoolClient): number {
  return (client as unknown as { processID: number }).processID;
}

/**
 * One COPY stream for the whole payload: the server parses and stores rows while the next batch is
 * being parsed here, and backpressure keeps the buffered data bounded.
 */
function streamingCopy(client: pg.PoolClient, sql: string, open: Set<() => Promise<void>>): CopyWriter {
  const stream = client.query(copyStreams.from(sql));
  // If the load fails while the COPY is open, the connection stays in COPY mode and a ROLLBACK
  // would wait forever: the transaction aborts the stream (CopyFail) first.
  const abort = async () => {
    if (stream.writableFinished || stream.destroyed) return;
    stream.destroy(new Error('load aborted'));
    await finished(stream).catch(() => undefined);
  };
  open.add(abort);
  let failure: unknown = null;
  stream.on('error', (error) => {
    failure = error;
  });
  const done = finished(stream);
  done.catch(() => undefined);
  // Writes return at once while less than COPY_IN_FLIGHT_BYTES are on their way to the server, so the
  // caller parses the next batch while the server takes the ones before (rows read before the
  // transaction are handed over together, and the server takes them while the rest is parsed); past
  // that, a write waits for the oldest to reach the server, and memory holds no more than that.
  const inFlight: Array<{ bytes: number; sent: Promise<unknown> }> = [];
  let inFlightBytes = 0;
  // Each write enters the stream once the one before it has reached the socket (the newest in flight;
  // none left in flight means every write before has). The stream would otherwise gather every waiting
  // write into one (its `_writev`) and report none of them sent until the last one was: the caller
  // would then wait, idle, for the server to take nearly all that is in flight.
  const newest = () => inFlight.at(-1)?.sent;
  const send = (lines: string | Uint8Array) =>
    failure ? undefined : Promise.race([new Promise<void>((resolve) => stream.write(lines, () => resolve())), done]);
  return {
    write: async (lines) => {
      const bytes = typeof lines === 'string' ? Buffer.byteLength(lines) : lines.byteLength;
      for (;;) {
        if (failure) throw failure;
        if (inFlight.length === 0 || inFlightBytes + bytes <= COPY_IN_FLIGHT_BYTES) break;
        const oldest = inFlight.shift()!;
        await oldest.sent;
        inFlightBytes -= oldest.bytes;
      }
      // Settled once the stream has taken it, or by the end of the stream; a failure is kept in `failure`.
      const sent = Promise.resolve(newest())
        .then(() => send(lines))
        .catch(() => undefined);
      inFlight.push({ bytes, sent });
      inFlightBytes += bytes;
    },
    finish: async () => {
      await newest();
      if (failure) throw failure;
      stream.end();
      await done;
      open.delete(abort);
    },
  };
}

/** A lock timeout becomes a `LockTimeoutError` naming the table and its holder; other errors pass. */
type LockErrors = (error: unknown) => Promise<unknown>;

function txOf(client: pg.PoolClient, openCopies: Set<() => Promise<void>>, lockErrors: LockErrors): Tx {
  return {
    query: async <R>(sql: string, params?: readonly unknown[]) => {
      try {
        const result = await client.query(sql, params as unknown[] | undefined);
        return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
      } catch (error) {
        throw await lockErrors(error);
      }
    },
    exec: async (sql: string) => {
      try {
        await client.query(sql);
      } catch (error) {
        throw await lockErrors(error);
      }
    },
    beginCopy: (table, columns) => streamingCopy(client, `COPY ${table} (${columns.map(ident).join(', ')}) FROM STDIN`, openCopies),
  };
}

export async function openPgDb(options: PgDbOptions): Promise<Db> {
  const label = options.connectionString ? scrub(options.connectionString) : 'the server named by PG* variables';
  // Messages name the host and port the user wrote, not only the address the driver resolved.
  const where = options.connectionString ? scrub(endpointOf(options.connectionString)) : label;
  const pool = new pg.Pool({
    ...(options.connectionString ? { connectionString: options.connectionString } : {}),
    application_name: options.applicationName ?? 'otc-etl',
    // The run lock, one view transaction and the source-state writes run side by side (and, after a
    // lock timeout, the query that finds the lock's holder).
    max: 4,
    // Every statement of every connection: start-up reads, stored hashes, the load and its run records.
    ...(options.lockTimeoutMs === undefined ? {} : { lock_timeout: options.lockTimeoutMs }),
  });
  const lockErrors: LockErrors = async (error) => {
    if (sqlState(error) !== SQLSTATE.lockNotAvailable || options.lockTimeoutMs === undefined) return error;
    return lockTimeoutError(error, options.lockTimeoutMs, (sql) =>
      pool.query(sql).then((r) => ({ rows: r.rows, rowCount: r.rowCount ?? 0 })),
    );
  };
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  try {
    const probe = await pool.connect();
    probe.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw wrapConnectError(error, where, true);
  }

  const query = async <R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
    try {
      const result = await pool.query(sql, params as unknown[] | undefined);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw wrapConnectError(await lockErrors(error), where);
    }
  };

  return {
    kind: 'server',
    label,
    query,
    exec: async (sql) => {
      await query(sql);
    },
    transaction: async (fn, options = {}) => {
      const client = await pool.connect().catch((error: unknown) => {
        throw wrapConnectError(error, where);
      });
      // A checked-out client that loses its server emits 'error'; unheard, that would crash the process.
      // The statement in progress fails with the same error, and the view is recorded as failed.
      client.on('error', ignoreError);
      let active = true;
      const cancel = () => {
        // From another connection: the transaction's own is busy with the statement to cancel.
        if (active) pool.query('SELECT pg_cancel_backend($1)', [backendPid(client)]).catch(ignoreError);
      };
      options.signal?.addEventListener('abort', cancel, { once: true });
      let broken = false;
      const openCopies = new Set<() => Promise<void>>();
      try {
        await client.query('BEGIN');
        const result = await fn(txOf(client, openCopies, lockErrors));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        for (const abort of openCopies) await abort();
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        active = false;
        options.signal?.removeEventListener('abort', cancel);
        client.off('error', ignoreError);
        client.release(broken);
      }
    },
    tryAdvisoryLock: async (key) => {
      const client = await pool.connect();
      // Held for the whole run: if its connection drops, the lock is gone, but the process must not crash.
      client.on('error', ignoreError);
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [key]);
      if (!rows[0]?.ok) {
        client.off('error', ignoreError);
        client.release();
        return null;
      }
      return async () => {
        await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
        client.off('error', ignoreError);
        client.release();
      };
    },
    close: async () => {
      await pool.end();
    },
  };
}
