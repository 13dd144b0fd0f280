/**
 * Embedded PostgreSQL (PGlite) adapter. PGlite is one connection in this process and does not lock
 * its data directory itself, so `process-lock.ts` keeps a second process out before it opens the files.
 */
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { PGlite, types } from '@electric-sql/pglite';
import { makePrivateDir, tightenTree } from './private-files.js';
import { ident, type Db, type Queryable, type Tx } from './db.js';
import { acquireProcessLock } from './process-lock.js';

const PARSERS = {
  [types.INT8]: (v: string) => Number(v),
  [types.NUMERIC]: (v: string) => v,
};

type PgliteQueryable = Pick<PGlite, 'query' | 'exec'>;

/** About how many bytes of lines one COPY statement of the embedded database takes. */
const COPY_GATHER_BYTES = 4 << 20;

function txOf(conn: PgliteQueryable): Tx {
  return {
    query: async <R>(sql: string, params?: readonly unknown[]) => {
      const result = await conn.query<R>(sql, params as unknown[] | undefined, { parsers: PARSERS });
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    exec: async (sql: string) => {
      await conn.exec(sql);
    },
    // PGlite runs in this process: the lines go to a COPY from an in-memory blob. Each COPY statement
    // is parsed and set up anew, and batches are small (record-stream.ts), so writes are gathered.
    beginCopy: (table, columns) => {
      const sql = `COPY ${table} (${columns.map(ident).join(', ')}) FROM '/dev/blob'`;
      let parts: Array<string | Uint8Array> = [];
      let gathered = 0;
      const flush = async () => {
        if (parts.length === 0) return;
        const blob = new Blob(parts);
        parts = [];
        gathered = 0;
        await conn.query(sql, [], { blob });
      };
      return {
        write: async (lines) => {
          parts.push(lines);
          gathered += typeof lines === 'string' ? lines.length : lines.byteLength;
          if (gathered >= COPY_GATHER_BYTES) await flush();
        },
        finish: flush,
      };
    },
  };
}

/**
 * PGlite starts every session in UTC and ignores `ALTER DATABASE … SET TimeZone`, so apply the
 * database's stored default ourselves: the analysts' ::date must follow the source's local days.
 */
async function applyDatabaseTimezone(conn: Queryable): Promise<void> {
  const { rows } = await conn.query<{ tz: string }>(
    `SELECT split_part(c, '=', 2) AS tz
     FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) AS c
     WHERE d.datname = current_database() AND s.setrole = 0 AND lower(c) LIKE 'timezone=%'`,
  );
  if (rows[0]) await conn.query(`SELECT set_config('TimeZone', $1, false)`, [rows[0].tz]);
}

/** What every session of the embedded database starts with: the database's TimeZone and the lock timeout. */
export async function applySessionSettings(conn: Queryable, options: { lockTimeoutMs?: number } = {}): Promise<void> {
  await applyDatabaseTimezone(conn);
  // One connection, so no other session can hold a lock here; set anyway, so both databases behave alike.
  if (options.lockTimeoutMs !== undefined) await conn.query(`SELECT set_config('lock_timeout', $1, false)`, [`${options.lockTimeoutMs}ms`]);
}

/** How the embedded database is opened. */
export interface PgliteOptions {
  /** The lock_timeout of the session, in milliseconds. */
  readonly lockTimeoutMs?: number;
  /** The command reads a little and exits (status, health, breaker): see `createPglite`. */
  readonly brief?: boolean;
}

/**
 * Shared buffers of a brief open. PGlite sets up all of its 128 MB default at start, which cost a
 * read-only command a quarter of its start-up and most of its memory; the few rows it reads need far fewer.
 */
const BRIEF_SHARED_BUFFERS = '16MB';

/**
 * V8 runs PGlite's WebAssembly from a quick first compile and recompiles its busy functions, optimized,
 * on the other core. A command that reads a few rows and exits never earns that back: the recompile
 * took a read-only command's process a second of CPU and 90 MB on 2 cores, more than its queries saved.
 * So a brief open keeps the first compile; the flag is put back once PGlite is up, so a later open in the
 * same process (a test, the service) compiles as usual.
 */
async function createPglite(dir: string, brief: boolean): Promise<PGlite> {
  if (!brief) return PGlite.create(dir);
  setFlagsFromString('--liftoff-only');
  try {
    return await PGlite.create(dir, { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${BRIEF_SHARED_BUFFERS}`] });
  } finally {
    setFlagsFromString('--no-liftoff-only');
  }
}

/** Opens (creating if needed) the embedded database in `dataDir`. */
export async function openPgliteDb(dataDir: string, options: PgliteOptions = {}): Promise<Db> {
  makePrivateDir(dataDir);
  const releaseProcessLock = acquireProcessLock(join(dataDir, 'otc-etl.lock'));
  let pglite: PGlite;
  try {
    tightenTree(dataDir);
    pglite = await createPglite(join(dataDir, 'pgdata'), options.brief === true);
    tightenTree(dataDir);
  } catch (error) {
    releaseProcessLock();
    throw error;
  }
  const root = txOf(pglite);
  await applySessionSettings(root, options);
  // Files PGlite created during a transaction are tightened once it ends.
  const tightened = <T>(work: Promise<T>): Promise<T> => work.finally(() => tightenTree(dataDir));
  return {
    kind: 'embedded',
    label: `embedded database in ${dataDir}`,
    query: root.query,
    exec: root.exec,
    transaction: (fn) => tightened(pglite.transaction((tx) => fn(txOf(tx)))),
    // One connection in one process (the process lock keeps others out), so a plain advisory lock
    // only guards against re-entry within this process.
    tryAdvisoryLock: async (key) => {
      const { rows } = await root.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [key]);
      if (!rows[0]?.ok) return null;
      return async () => {
        await root.query('SELECT pg_advisory_unlock($1)', [key]);
      };
    },
    close: async () => {
      try {
        await pglite.close();
        tightenTree(dataDir);
      } finally {
        releaseProcessLock();
      }
    },
  };
}
