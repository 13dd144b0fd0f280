/**
 * Loads one view's normalized rows into its table inside the caller's transaction: COPY into a
 * staging table batch by batch, then one dedup and one guarded merge (update + insert) for the whole
 * payload. A table that is empty when the load starts (the first sync, a backfill) is filled by COPY
 * directly, with no staging and no merge, until a key repeats. Nothing here runs a statement per row.
 */
import { LoadRefusedError } from '../errors.js';
import { columnsOf, fieldByColumn, SQL_TYPES, type ViewSpec } from '../registry.js';
import { copyValue } from './copy-format.js';
import { epochMsSql, ident, qualified, type CopyWriter, type Queryable, type Tx } from './db.js';
import { DAY_MS, isoDateOfDay, isoInstantOf } from '../transform/calendar.js';
import { hasSimpleKey } from '../transform/natural-key.js';
import type { StoredLookup } from '../transform/normalize.js';
import { digestHalf, type RecordDigest } from '../transform/record-hash.js';
import { KeyTable } from './key-table.js';
import type { RowLines } from './row-lines.js';
import { RowsByHash, SHARED_HASH } from './rows-by-hash.js';
import { withLength } from './typed-arrays.js';
import { createStageSql, dedupSql, insertSql, keyExpr, LINEAGE_COLUMNS, type LoadTarget, stageColumns, updateSql } from './merge-sql.js';

export interface MergeCounts {
  readonly inserted: number;
  readonly updated: number;
}

const STAGE = 'otc_stage';
const STORED_CURSOR = 'otc_stored_rows';
/** Stored hashes are read for rows this many days beyond the window, for records at its edge. */
const HASH_MARGIN_DAYS = 31;
const DEDUPED = 'otc_stage_dedup';
/** A load that changes at least this many rows, and this share of its payload's, refreshes the statistics. */
const ANALYZE_MIN_ROWS = 1000;
const ANALYZE_MIN_SHARE = 0.1;

/**
 * The stored rows a load compares its payload with, read beside the fetch, before the view's
 * transaction: only this process writes the view (the run lock), so they are still what is stored
 * when the load begins. A record whose hash a stored row has is that row, unchanged: it never travels
 * to the database, and its key, cursor and window are the row's, so it need not be parsed (the hash
 * is of the record's whole text, so equal hashes mean equal records). The window of each row says,
 * once the payload is read, which stored rows it lacks (see `missingFrom`). Limited to rows the source
 * can still send (a margin beyond the window) to bound memory; a record outside that range simply goes
 * through the merge, which decides the same way.
 *
 * Two rows can share a hash only when the same record was stored under two keys (OTC_TIMEZONE changed
 * between the loads, and the record's date carried an offset); a record with such a hash is parsed, and
 * its key decides.
 */
export class StoredRows implements StoredLookup {
  static none(): StoredRows {
    return new StoredRows(null, 0);
  }

  /** Row index by record hash (`SHARED_HASH` when rows share it); a row stored without a hash is not here. */
  private byHash: RowsByHash;
  private keyTable = new KeyTable();
  /** Per row: its window and cursor values in epoch ms (`epochMsSql`), NaN for none. */
  private windows: Float64Array;
  private cursors: Float64Array;
  readonly cursorText: (ms: number) => string;
  readonly windowText: (ms: number) => string;
  private rows = 0;

  constructor(
    view: ViewSpec | null,
    /** How many rows are expected (more may be added). */
    rows: number,
    /** The rows were read from this instant of the window column on (ISO); null when every row was read. */
    readonly since: string | null = null,
  ) {
    this.byHash = new RowsByHash(rows);
    this.windows = new Float64Array(Math.max(rows, 16));
    this.cursors = new Float64Array(Math.max(rows, 16));
    this.cursorText = textOfMs(view, view?.cursor ?? null);
    this.windowText = textOfMs(view, view?.windowColumn ?? null);
  }

  get size(): number {
    return this.rows;
  }

  /** The rows' keys, each row's under its index; a payload's other keys join them (see `PayloadIndex`). */
  get keys(): KeyTable {
    return this.keyTable;
  }

  /**
   * Adds a row as read: its key, its record hash as signed 32-bit halves (see `hashHalves`; null for
   * none), its window and cursor values in epoch ms. Every row is read before any payload key joins
   * the key table, so a row's key id is its index.
   */
  add(key: string, hash: readonly [number, number] | null, windowMs: number, cursorMs: number): void {
    const row = this.rows;
    if (this.keyTable.intern(key) !== row) throw new Error(`two stored rows have the key ${key}, which the table's unique key forbids`);
    if (row === this.windows.length) {
      this.windows = withLength(this.windows, Math.max(16, row * 2));
      this.cursors = withLength(this.cursors, Math.max(16, row * 2));
    }
    this.rows++;
    this.windows[row] = windowMs;
    this.cursors[row] = cursorMs;
    if (hash) this.byHash.add(hash[0], hash[1], row);
  }

  rowOf(digest: RecordDigest): number {
    const row = this.byHash.rowOf(digestHalf(digest, 0), digestHalf(digest, 4));
    return row === SHARED_HASH ? -1 : row;
  }

  key(row: number): string {
    return this.keyTable.text(row);
  }

  cursorMs(row: number): number {
    return this.cursors[row]!;
  }

  windowMs(row: number): number {
    return this.windows[row]!;
  }

  /** Keys of the rows whose window value lies in `[fromMs, toMs]` and which `has` (given the row) does not hold. */
  missingFrom(has: (row: number) => boolean, fromMs: number, toMs: number): string[] {
    const missing: string[] = [];
    for (let row = 0; row < this.rows; row++) {
      const ms = this.windows[row]!;
      if (ms >= fromMs && ms <= toMs && !has(row)) missing.push(this.keyTable.text(row));
    }
    return missing;
  }

  /** Lets go of the rows once the load no longer needs them. */
  clear(): void {
    this.byHash = new RowsByHash(0);
    this.keyTable = new KeyTable();
    this.rows = 0;
    this.windows = new Float64Array(0);
    this.cursors = new Float64Array(0);
  }
}

/** A cursor or window value in epoch ms as the normalizer writes it: an instant, or a date (its midnight, UTC). */
function textOfMs(view: ViewSpec | null, column: string | null): (ms: number) => string {
  const type = view && column ? fieldByColumn(view, column).type : null;
  return type === 'date' ? (ms) => isoDateOfDay(Math.floor(ms / DAY_MS)) : isoInstantOf;
}

/** Stored rows are read this many at a time, so their rows as the driver returns them never fill the heap together. */
const STORED_ROWS_PER_FETCH = 20_000;

/**
 * Reads the stored rows of `view` (see `StoredRows`); `nowMs` places the window. Through a cursor,
 * `rowsPerFetch` at a time, so `db` must be in a transaction.
 */
export async function readStoredRows(
  db: Queryable,
  schema: string,
  view: ViewSpec,
  nowMs: number,
  rowsPerFetch = STORED_ROWS_PER_FETCH,
): Promise<StoredRows> {
  const table = qualified(schema, view.table);
  const ms = (column: string | null) =>
    column ? epochMsSql(`t.${ident(column)}`, fieldByColumn(view, column).type === 'date') : `'NaN'::float8`;
  const since = view.windowColumn ? new Date(nowMs - (view.windowDays + HASH_MARGIN_DAYS) * 86_400_000).toISOString() : null;
  const [where, params] = since ? [`WHERE t.${ident(view.windowColumn!)} >= $1::timestamptz`, [since]] : ['', []];
  // Every row is read: planned as a whole scan, not for the first rows of a cursor.
  await db.exec('SET LOCAL cursor_tuple_fraction = 1');
  // The hash as its signed 32-bit halves (bigint shifts wrap), as `hashHalves` gives them.
  await db.query(
    `DECLARE ${STORED_CURSOR} NO SCROLL CURSOR FOR
       SELECT (${keyExpr(view, 't')})::text AS k, (_record_hash >> 32)::int4 AS hh, ((_record_hash << 32) >> 32)::int4 AS hl,
              ${ms(view.windowColumn)} AS w, ${ms(view.cursor)} AS c FROM ${table} t ${where}`,
    params,
  );
  const stored = new StoredRows(view, 0, since);
  for (;;) {
    const { rows } = await db.query<Row>(`FETCH ${rowsPerFetch} FROM ${STORED_CURSOR}`);
    for (const row of rows) stored.add(row.k, row.hh === null ? null : [row.hh, row.hl!], row.w ?? Number.NaN, row.c ?? Number.NaN);
    if (rows.length < rowsPerFetch) break;
  }
  await db.exec(`CLOSE ${STORED_CURSOR}`);
  return stored;
}

interface Row {
  k: string;
  hh: number | null;
  hl: number | null;
  w: number | null;
  c: number | null;
}

/**
 * The window a payload checks for missing rows (one day after its earliest value to its latest, SPEC
 * §10) in epoch ms, and whether `since` (where the stored rows were read from) lies before it.
 */
export interface WindowBounds {
  readonly fromMs: number;
  readonly toMs: number;
  readonly coveredSince: boolean;
}

export class TableLoad {
  private staged = 0;
  private inserted = 0;
  private copy: CopyWriter | null = null;
  /** Whether the open COPY (if any) writes to the table itself rather than the staging table. */
  private copyIsDirect = false;
  private direct = false;
  private emptyAtStart = false;
  /** What follows each directly copied row: its source, run and load time. */
  private lineageSuffix = Buffer.alloc(0);
  /** Which key parts are NULL (bit i = key column i) in the staged records, one merge per pattern. */
  private readonly nullMasks = new Set<number>();

  constructor(
    private readonly tx: Tx,
    private readonly view: ViewSpec,
    private readonly schema: string,
    private readonly target: LoadTarget,
  ) {}

  /** Rows sent through the staging table so far. */
  get stagedCount(): number {
    return this.staged;
  }

  /** Rows copied straight into the table so far. */
  get insertedCount(): number {
    return this.inserted;
  }

  /** The staging table, while this load has rows in it (null when every row was copied straight in). */
  get stagingTable(): string | null {
    return this.staged > 0 ? STAGE : null;
  }

  /** Whether the table held no row when the load started (so no stored row can be missing from it). */
  get startedEmpty(): boolean {
    return this.emptyAtStart;
  }

  async begin(): Promise<void> {
    await this.tx.exec(`DROP TABLE IF EXISTS ${STAGE}; DROP TABLE IF EXISTS ${DEDUPED}`);
    await this.tx.exec(createStageSql(this.view, STAGE, (c) => SQL_TYPES[fieldByColumn(this.view, c).type]));
    const { rows } = await this.tx.query<{ empty: boolean; now: string }>(
      `SELECT NOT EXISTS (SELECT 1 FROM ${qualified(this.schema, this.view.table)}) AS empty, now()::text AS now`,
    );
    this.emptyAtStart = rows[0]!.empty;
    // Reprocess re-derives stored rows, so its table is never empty; it always goes through the merge.
    this.direct = this.emptyAtStart && this.target.kind !== 'reprocess';
    const { runId, source } = this.target;
    const now = rows[0]!.now;
    this.lineageSuffix = Buffer.from(['', copyValue(source), copyValue(runId), now, copyValue(runId), now].join('\t'));
  }

  /**
   * Sends one batch: `fresh` rows carry keys seen for the first time in this payload, `repeats` later
   * copies of keys already sent. Into an empty table, fresh rows are copied straight in; the first
   * repeat ends that, since which copy wins is the merge's decision, and the rest of the payload is
   * staged.
   */
  async send(fresh: RowLines, repeats: RowLines): Promise<void> {
    if (repeats.count > 0) this.direct = false;
    if (this.direct) return this.copyDirect(fresh);
    await this.stage(fresh);
    await this.stage(repeats);
  }

  private async copyDirect(rows: RowLines): Promise<void> {
    if (rows.count === 0) return;
    await this.writer(true).write(rows.direct(this.lineageSuffix));
    this.inserted += rows.count;
  }

  private async stage(rows: RowLines): Promise<void> {
    if (rows.count === 0) return;
    for (const mask of rows.nullMasks) this.nullMasks.add(mask);
    if (this.copyIsDirect) await this.endStaging();
    await this.writer(false).write(rows.staged());
    this.staged += rows.count;
  }

  /** The open COPY, opened on first use: while a COPY is open the connection can run nothing else. */
  private writer(direct: boolean): CopyWriter {
    if (this.copy) return this.copy;
    this.copyIsDirect = direct;
    this.copy = direct
      ? this.tx.beginCopy(qualified(this.schema, this.view.table), [...columnsOf(this.view), '_raw', '_record_hash', ...LINEAGE_COLUMNS])
      : this.tx.beginCopy(STAGE, stageColumns(this.view));
    return this.copy;
  }

  /** Completes the open COPY; the connection can run other statements again afterwards. */
  async endStaging(): Promise<void> {
    await this.copy?.finish();
    this.copy = null;
    this.copyIsDirect = false;
  }

  /**
   * Merges the staged payload. `hasDuplicates` lets the caller skip the dedup pass when it already
   * knows every key is unique. Rows copied straight in count as inserted; a staged copy that replaces
   * one of them supersedes an earlier copy in the same payload, which is a duplicate, not an update.
   */
  async merge(options: { hasDuplicates: boolean }): Promise<MergeCounts> {
    if (this.staged === 0) return { inserted: this.inserted, updated: 0 };
    let src = STAGE;
    if (options.hasDuplicates) {
      await this.tx.exec(dedupSql(this.view, STAGE, DEDUPED));
      src = DEDUPED;
    }
    const table = qualified(this.schema, this.view.table);
    // One statement per pattern of NULL key parts, so each join is one the unique index answers.
    const masks = this.view.keyNullable ? [...this.nullMasks].sort((a, b) => a - b) : [0];
    let replaced = 0;
    for (const nullMask of masks) {
      const update = updateSql(this.view, table, src, this.target, { sameRun: this.emptyAtStart, nullMask });
      replaced += (await this.tx.query(update.text, update.values)).rowCount;
    }
    const insert = insertSql(this.view, table, src, this.target);
    const inserted = (await this.tx.query(insert.text, insert.values)).rowCount;
    return { inserted: this.inserted + inserted, updated: this.emptyAtStart ? 0 : replaced };
  }

  /**
   * The payload's checked window (see `WindowBounds`) for its earliest and latest window values, as the
   * database reads them: a day is added in the session's time zone.
   */
  async windowBounds(earliest: string, latest: string, since: string | null): Promise<WindowBounds> {
    const type = this.windowType();
    const from = `$1::${type} + interval '1 day'`;
    const { rows } = await this.tx.query<{ from_ms: number; to_ms: number; covered: boolean }>(
      // A date plus a day is a timestamp: only the bound itself can be a date.
      `SELECT ${epochMsSql(from)} AS from_ms, ${epochMsSql(`$2::${type}`, type === 'date')} AS to_ms,
              $3::timestamptz IS NOT NULL AND ${from} >= $3::timestamptz AS covered`,
      [earliest, latest, since],
    );
    const [row] = rows;
    return { fromMs: row!.from_ms, toMs: row!.to_ms, coveredSince: row!.covered };
  }

  /** Keys of the stored rows inside the payload's checked window (see `windowBounds`). */
  async storedKeysInWindow(earliest: string, latest: string): Promise<string[]> {
    const type = this.windowType();
    const { rows } = await this.tx.query<{ k: string }>(
      `SELECT (${keyExpr(this.view, 't')})::text AS k FROM ${qualified(this.schema, this.view.table)} t
       WHERE t.${ident(this.view.windowColumn!)} >= $1::${type} + interval '1 day' AND t.${ident(this.view.windowColumn!)} <= $2::${type}`,
      [earliest, latest],
    );
    return rows.map((r) => r.k);
  }

  private windowType(): string {
    const { view } = this;
    if (!view.windowColumn) throw new Error(`${view.name} has no window column`);
    return SQL_TYPES[fieldByColumn(view, view.windowColumn).type];
  }

  /** Moves rows (by key) to the view's `_removed` side table with every column; returns how many. */
  async moveToRemoved(keys: readonly string[], runId: string): Promise<number> {
    if (keys.length === 0) return 0;
    const table = qualified(this.schema, this.view.table);
    const removed = qualified(this.schema, `${this.view.table}_removed`);
    const columns = await this.syncRemovedColumns();
    const list = columns.map(ident).join(', ');
    const keyType = hasSimpleKey(this.view) ? `${SQL_TYPES[fieldByColumn(this.view, this.view.key[0]!).type]}[]` : 'text[]';
    // A composite key is matched by its text, which no index holds: a scan, but only on the rare load
    // that finds rows gone from the source.
    const { rowCount } = await this.tx.query(
      `WITH gone AS (DELETE FROM ${table} t WHERE ${keyExpr(this.view, 't')} = ANY ($1::${keyType}) RETURNING *)
       INSERT INTO ${removed} (${list}, removed_run_id) SELECT ${list}, $2 FROM gone`,
      [keys, runId],
    );
    return rowCount;
  }

  /**
   * The side table keeps every column, including ones other tools added to the table after it was
   * created: add any that are missing, then return the shared column list.
   */
  private async syncRemovedColumns(): Promise<string[]> {
    const { rows } = await this.tx.query<{ name: string; type: string; missing: boolean }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
              NOT EXISTS (SELECT 1 FROM pg_attribute r WHERE r.attrelid = $2::regclass AND r.attname = a.attname
                          AND r.attnum > 0 AND NOT r.attisdropped) AS missing
       FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [qualified(this.schema, this.view.table), qualified(this.schema, `${this.view.table}_removed`)],
    );
    const removed = qualified(this.schema, `${this.view.table}_removed`);
    const alters = rows.filter((r) => r.missing).map((c) => `ALTER TABLE ${removed} ADD COLUMN ${ident(c.name)} ${c.type}`);
    if (alters.length === 0) return rows.map((r) => r.name);
    // Only the owner may add columns; a least-privilege loader (docs/roles.sql) is told what to run instead
    // of failing on a bare "permission denied".
    const { rows: own } = await this.tx.query<{ owner: boolean }>(
      `SELECT pg_has_role(current_user, c.relowner, 'USAGE') AS owner FROM pg_class c WHERE c.oid = $1::regclass`,
      [removed],
    );
    if (!own[0]?.owner) {
      throw new LoadRefusedError(
        `${this.view.name}: ${this.view.table} has columns that ${this.view.table}_removed lacks, and only the table's ` +
          `owner may add them; nothing was loaded. As the owner role, run: ${alters.join('; ')}`,
        { view: this.view.name },
      );
    }
    for (const alter of alters) await this.tx.exec(alter);
    return rows.map((r) => r.name);
  }

  /**
   * Refreshes planner statistics after a large change, so the analysts' queries plan well: for the
   * columns they filter and join on (the indexed ones, the key, the cursor and the window). Leaving out
   * `_raw` and the free-text columns makes it about three times quicker; autovacuum's own ANALYZE covers
   * the rest later. A change is large from a thousand rows and a tenth of the payload's (autovacuum's
   * own share): a re-sync that changes 5% of 150,000 timesheets leaves the statistics as good as they
   * were, and its ANALYZE took 0.2 s.
   */
  async analyzeIfLarge(counts: MergeCounts, payloadRows: number): Promise<void> {
    const changed = counts.inserted + counts.updated;
    if (changed < Math.max(ANALYZE_MIN_ROWS, ANALYZE_MIN_SHARE * payloadRows)) return;
    const { view } = this;
    const columns = new Set([...view.key, ...view.indexed, view.cursor, view.windowColumn].filter((c): c is string => c !== null));
    await this.tx.exec(`ANALYZE ${qualified(this.schema, view.table)} (${[...columns].map(ident).join(', ')})`);
  }
}
