/**
 * The one small database interface the rest of the product sees. Two adapters implement it —
 * server PostgreSQL (`pg-db.ts`) and the embedded PGlite (`pglite-db.ts`) — so the pipeline never
 * knows which it has. SQL handed to it must run on PostgreSQL 15 and on PGlite alike.
 */

export type Row = Record<string, unknown>;

export interface QueryResult<R = Row> {
  readonly rows: R[];
  readonly rowCount: number;
}

export interface Queryable {
  /** One statement with `$n` parameters. Values are always parameters, never spliced into SQL. */
  query<R = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Several statements without parameters (migrations, DDL). */
  exec(sql: string): Promise<void>;
}

/**
 * How many bytes of COPY lines a writer lets travel to the server unawaited: as many as a load holds
 * from before its transaction (see early-read.ts), so those go at once.
 */
export const COPY_IN_FLIGHT_BYTES = 8 << 20;

/** An open bulk load (COPY … FROM STDIN, text format) into one table. */
export interface CopyWriter {
  /**
   * Sends rows: tab-separated lines ending in "\n", escaped as in copy-format.ts, as text or as its UTF-8
   * bytes (which the caller must not change afterwards). Resolves while the writes before are still on
   * their way (up to COPY_IN_FLIGHT_BYTES of them), so the caller prepares the next batch while the
   * database takes them; rejects if the COPY failed (a failure may also surface at a later write or
   * `finish`).
   */
  write(lines: string | Uint8Array): Promise<void>;
  /** Completes the COPY; resolves once every row is in the table. */
  finish(): Promise<void>;
}

export interface Tx extends Queryable {
  /** Starts a bulk load into `table` (an identifier or qualified name, already quoted). */
  beginCopy(table: string, columns: readonly string[]): CopyWriter;
}

export type DbKind = 'server' | 'embedded';

export interface Db extends Queryable {
  readonly kind: DbKind;
  /** Where the data is, safe to print (no password). */
  readonly label: string;
  /**
   * Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. When `signal`
   * aborts, the server cancels the statement in progress (the embedded database cannot; `fn` checks
   * the signal between statements).
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>, options?: { signal?: AbortSignal }): Promise<T>;
  /**
   * Takes a session-level advisory lock without waiting. Returns its release function, or null when
   * another session holds it.
   */
  tryAdvisoryLock(key: number): Promise<(() => Promise<void>) | null>;
  close(): Promise<void>;
}

/** SQLSTATE codes the product reacts to (matched by code, never by message text). */
export const SQLSTATE = {
  undefinedTable: '42P01',
  undefinedColumn: '42703',
  invalidSchemaName: '3F000',
  uniqueViolation: '23505',
  lockNotAvailable: '55P03',
  queryCanceled: '57014',
  adminShutdown: '57P01',
  invalidCatalogName: '3D000',
  insufficientPrivilege: '42501',
} as const;

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Quotes an identifier (schema, table, column). The only way identifiers enter SQL. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * An SQL expression giving `value` (an instant, or a date counting from its midnight, UTC) as epoch
 * milliseconds in float8. Not through `extract`, which computes in numeric and took half the server's
 * time reading a view's stored rows; rounded to the microsecond, the result is the double nearest the
 * exact value, as the numeric one's was.
 */
export function epochMsSql(value: string, isDate = false): string {
  const instant = isDate ? `(${value})::timestamp` : value;
  return `round(date_part('epoch', ${instant}) * 1000000) / 1000`;
}

/** A schema-qualified, quoted name. */
export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}
