/**
 * Versioned, checksummed, forward-only migrations (`migrations/NNN_name.sql`), applied under an
 * advisory lock so two processes never run them at once. The same files run on the embedded database
 * and on a server.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MigrationRequiredError } from '../errors.js';
import { adoptLegacySchema, type AdoptionReport } from './adopt-legacy.js';
import { VIEWS } from '../registry.js';
import { ident, qualified, type Db, type Queryable } from './db.js';
import { storeHistoryTimezone } from './ticket-history.js';
import { ensureViewObjects } from './view-objects.js';
import { LOCK_TIMEOUT, MIGRATION_LOCK_KEY, SCHEMA_MIGRATIONS_DDL } from './migration-lock.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/** The migrations shipped with this version, in order. */
export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(`${dir}/${file}`, 'utf8');
      return {
        version: Number(file.slice(0, 3)),
        name: file.slice(4, -4),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

/**
 * - empty:   no schema or no tables in it; `sync` may migrate it by itself
 * - legacy:  tables built by the previous loader, no schema_migrations; needs `migrate`
 * - behind:  some shipped migrations not applied (half-migrated or older); needs `migrate`
 * - current: everything applied
 */
export type SchemaState = 'empty' | 'legacy' | 'behind' | 'current';

export interface SchemaInspection {
  readonly state: SchemaState;
  readonly applied: ReadonlyMap<number, string>;
  readonly pending: readonly Migration[];
}

export async function inspectSchema(db: Queryable, schema: string): Promise<SchemaInspection> {
  const migrations = listMigrations();
  // The catalog rather than information_schema: its views check privileges row by row, which on the
  // embedded database cost a read-only command more than the rest of its work.
  const { rows } = await db.query<{ table_name: string }>(
    `SELECT c.relname AS table_name FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'f')`,
    [schema],
  );
  const tables = new Set(rows.map((r) => r.table_name));
  if (tables.size === 0) return { state: 'empty', applied: new Map(), pending: migrations };
  if (!tables.has('schema_migrations')) return { state: 'legacy', applied: new Map(), pending: migrations };
  const applied = await readApplied(db, schema);
  verifyChecksums(migrations, applied);
  const pending = migrations.filter((m) => !applied.has(m.version));
  return { state: pending.length > 0 ? 'behind' : 'current', applied, pending };
}

async function readApplied(db: Queryable, schema: string): Promise<Map<number, string>> {
  const { rows } = await db.query<{ version: number; checksum: string }>(
    `SELECT version, checksum FROM ${qualified(schema, 'schema_migrations')}`,
  );
  return new Map(rows.map((r) => [Number(r.version), r.checksum]));
}

function verifyChecksums(migrations: readonly Migration[], applied: ReadonlyMap<number, string>): void {
  for (const m of migrations) {
    const checksum = applied.get(m.version);
    if (checksum !== undefined && checksum !== m.checksum) {
      throw new MigrationRequiredError(
        `migration ${m.version} (${m.name}) differs from the one applied to this database; ` +
          'migrations are forward-only: restore the shipped file or add a new migration.',
      );
    }
  }
}

export interface MigrateResult {
  readonly stateBefore: SchemaState;
  readonly applied: readonly string[];
  readonly timezone: string | null;
  /** What adopting a legacy schema did (null when the schema was not legacy). */
  readonly adoption: AdoptionReport | null;
  /**
   * Bytes the schema's tables (with their TOAST and indexes) took before the migrations less what they
   * take after: what a migration that rewrites tables gave back. 0 when nothing was applied or it grew.
   */
  readonly freedBytes: number;
}

/** Bytes the schema's tables take on disk, TOAST and indexes included. */
async function schemaBytes(db: Queryable, schema: string): Promise<number> {
  const { rows } = await db.query<{ bytes: string | null }>(
    `SELECT sum(pg_total_relation_size(c.oid))::text AS bytes
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
    [schema],
  );
  return Number(rows[0]?.bytes ?? 0);
}

/**
 * Applies every pending migration, each in its own transaction; a legacy schema is adopted first
 * (adopt-legacy.ts). Safe to run twice or concurrently.
 */
export async function applyMigrations(
  db: Db,
  options: {
    schema: string;
    /** Set as the database's default TimeZone; null keeps it. */
    timezone: string | null;
    /** OTC_TIMEZONE: how a legacy schema's naive timestamps are read (default `timezone`). */
    adoptTimezone?: string;
  },
): Promise<MigrateResult> {
  const before = await inspectSchema(db, options.schema);
  const adoptTimezone = options.adoptTimezone ?? options.timezone ?? 'UTC';
  const adoption =
    before.state === 'legacy'
      ? await adoptLegacySchema(db, { schema: options.schema, timezone: adoptTimezone, dryRun: false, migrations: listMigrations() })
      : null;
  const pending = adoption ? (await inspectSchema(db, options.schema)).pending : before.pending;
  const bytesBefore = pending.length > 0 ? await schemaBytes(db, options.schema) : 0;
  const applied: string[] = [];
  for (const migration of pending) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await tx.exec(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${ident(options.schema)}`);
      await tx.exec(`SET LOCAL search_path TO ${ident(options.schema)}, public`);
      await tx.exec(SCHEMA_MIGRATIONS_DDL);
      // Another process may have applied it while we waited for the lock.
      const { rowCount } = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (rowCount > 0) return false;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      return true;
    });
    if (done) applied.push(`${String(migration.version).padStart(3, '0')}_${migration.name}`);
  }
  // Before the windows are written: a registered view without its table must not show up as a view.
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    await tx.exec(`SET LOCAL search_path TO ${ident(options.schema)}, public`);
    await ensureViewObjects(tx);
  });
  await writeViewWindows(db, options.schema);
  if (options.timezone) await setDatabaseTimezone(db, options.timezone);
  // backlog_daily counts OTC_TIMEZONE's days whatever the session's zone: it reads the zone from here.
  const sourceZone = options.adoptTimezone ?? options.timezone;
  if (sourceZone) await storeHistoryTimezone(db, options.schema, sourceZone);
  const freedBytes = applied.length > 0 ? Math.max(0, bytesBefore - (await schemaBytes(db, options.schema))) : 0;
  return { stateBefore: before.state, applied, timezone: options.timezone, adoption, freedBytes };
}

/**
 * Copies each view's window from the registry into `view_windows` (migration 007), which
 * v_data_freshness reads: the window is set in the registry alone, and every `migrate` brings the
 * database in line with it.
 */
async function writeViewWindows(db: Queryable, schema: string): Promise<void> {
  await db.query(
    `INSERT INTO ${qualified(schema, 'view_windows')} (view_name, window_days, ord)
     SELECT * FROM unnest($1::text[], $2::int[], $3::int[])
     ON CONFLICT (view_name) DO UPDATE SET window_days = excluded.window_days, ord = excluded.ord
     WHERE (view_windows.window_days, view_windows.ord) IS DISTINCT FROM (excluded.window_days, excluded.ord)`,
    [VIEWS.map((v) => v.name), VIEWS.map((v) => v.windowDays), VIEWS.map((_, i) => i + 1)],
  );
}

/** The database's own default TimeZone (`ALTER DATABASE … SET TimeZone`), or null when it has none. */
export async function databaseTimezone(db: Queryable): Promise<string | null> {
  const { rows } = await db.query<{ tz: string }>(
    `SELECT split_part(c, '=', 2) AS tz
     FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) AS c
     WHERE d.datname = current_database() AND s.setrole = 0 AND lower(c) LIKE 'timezone=%'`,
  );
  return rows[0]?.tz ?? null;
}

/** Makes the analysts' date_trunc and ::date follow the source's local days. */
export async function setDatabaseTimezone(db: Queryable, timezone: string): Promise<void> {
  // ALTER DATABASE needs the database's owner, which a least-privilege owner role is not (docs/roles.sql
  // sets the zone as the administrator): skip it when the database already has this zone.
  if ((await databaseTimezone(db)) !== timezone) {
    const { rows } = await db.query<{ sql: string }>(
      'SELECT format($$ALTER DATABASE %I SET TimeZone TO %L$$, current_database(), $1::text) AS sql',
      [timezone],
    );
    await db.exec(rows[0]!.sql);
  }
  // ALTER DATABASE applies to new sessions; the embedded database has only this one.
  await db.query(`SELECT set_config('TimeZone', $1, false)`, [timezone]);
}

/** Refuses to work on a schema that is not current (exit 4 with what to run). */
export function requireCurrent(inspection: SchemaInspection, schema: string): void {
  if (inspection.state === 'current') return;
  const why =
    inspection.state === 'legacy'
      ? `schema ${schema} was built by the previous loader`
      : `schema ${schema} is missing migrations ${inspection.pending.map((m) => m.version).join(', ')}`;
  throw new MigrationRequiredError(`${why}; run \`otc-etl migrate\` (see \`otc-etl migrate --dry-run\` for the plan).`);
}
