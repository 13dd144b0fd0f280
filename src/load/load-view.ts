/**
 * Loads one view's normalized rows into its table inside the caller's transaction: COPY into a
 * staging table batch by batch, then one dedup and one guarded merge (update + insert) for the whole
 * payload. Nothing here runs a statement per row.
 */
import { LoadRefusedError } from '../errors.js';
import { fieldByColumn, SQL_TYPES, type ViewSpec } from '../registry.js';
import { copyLine, textArrayLiteral } from './copy-format.js';
import { ident, qualified, type CopyWriter, type Tx } from './db.js';
import { createStageSql, dedupSql, insertSql, keyExpr, stageColumns, updateSql } from './merge-sql.js';

/** One record ready to stage: typed values in registry order, plus what the merge needs. */
export interface StagedRow {
  /** 1-based position in the payload or file. */
  readonly position: number;
  readonly values: ReadonlyArray<string | boolean | null>;
  /** Columns whose stored value must be kept (absent from the record, or the value did not parse). */
  readonly keep: readonly string[] | null;
  /** The record as JSON text, storable as jsonb. */
  readonly raw: string;
  readonly hash: string;
}

export interface MergeCounts {
  readonly staged: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly duplicates: number;
}

const STAGE = 'otc_stage';
/** Stored hashes are read for rows this many days beyond the window, for records at its edge. */
const HASH_MARGIN_DAYS = 31;
const DEDUPED = 'otc_stage_dedup';

export class ViewLoader {
  private staged = 0;
  private copy: CopyWriter | null = null;

  get stagedCount(): number {
    return this.staged;
  }

  constructor(
    private readonly tx: Tx,
    private readonly view: ViewSpec,
    private readonly schema: string,
  ) {}

  async begin(): Promise<void> {
    await this.tx.exec(`DROP TABLE IF EXISTS ${STAGE}; DROP TABLE IF EXISTS ${DEDUPED}`);
    await this.tx.exec(createStageSql(this.view, STAGE, (c) => SQL_TYPES[fieldByColumn(this.view, c).type]));
  }

  /** Sends one batch to the staging table. */
  async stage(rows: readonly StagedRow[]): Promise<void> {
    if (rows.length === 0) return;
    let lines = '';
    for (const r of rows) {
      lines += copyLine([r.position, ...r.values, r.raw, r.keep ? textArrayLiteral(r.keep) : null, r.hash]);
    }
    // Opened on the first batch: while a COPY is open the connection can run nothing else.
    this.copy ??= this.tx.beginCopy(STAGE, stageColumns(this.view));
    await this.copy.write(lines);
    this.staged += rows.length;
  }

  /** Completes the staging COPY; the connection can run other statements again afterwards. */
  async endStaging(): Promise<void> {
    await this.copy?.finish();
    this.copy = null;
  }

  /**
   * Merges the staged payload. `hasDuplicates` lets the caller skip the dedup pass when it already
   * knows every key is unique.
   */
  async merge(options: { runId: string; source: string; hasDuplicates: boolean }): Promise<MergeCounts> {
    let src = STAGE;
    let distinct = this.staged;
    if (options.hasDuplicates) {
      await this.tx.exec(dedupSql(this.view, STAGE, DEDUPED));
      const { rows } = await this.tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${DEDUPED}`);
      distinct = Number(rows[0]!.n);
      src = DEDUPED;
    }
    const table = qualified(this.schema, this.view.table);
    const params = [options.runId, options.source];
    const updated = (await this.tx.query(updateSql(this.view, table, src), params)).rowCount;
    const inserted = (await this.tx.query(insertSql(this.view, table, src), params)).rowCount;
    return {
      staged: this.staged,
      inserted,
      updated,
      unchanged: distinct - inserted - updated,
      duplicates: this.staged - distinct,
    };
  }

  /**
   * Hashes of the stored rows, by key, so records identical to what is stored never travel to the
   * database. Limited to rows the source can still send (a margin beyond the window) to bound memory;
   * a record outside that range simply goes through the merge, which decides the same way.
   */
  async storedHashes(): Promise<Map<string, string>> {
    const { view } = this;
    const table = qualified(this.schema, view.table);
    const recent = view.windowColumn
      ? `AND t.${ident(view.windowColumn)} >= now() - make_interval(days => ${view.windowDays + HASH_MARGIN_DAYS})`
      : '';
    const { rows } = await this.tx.query<{ k: string; h: string }>(
      `SELECT (${keyExpr(view, 't', true)})::text AS k, _record_hash AS h FROM ${table} t WHERE _record_hash IS NOT NULL ${recent}`,
    );
    return new Map(rows.map((r) => [r.k, r.h]));
  }

  /** Keys of stored rows whose window column lies in [from + 1 day, to]. */
  async storedKeysInWindow(from: string, to: string): Promise<string[]> {
    const { view } = this;
    if (!view.windowColumn) return [];
    const wc = ident(view.windowColumn);
    const type = SQL_TYPES[fieldByColumn(view, view.windowColumn).type];
    const { rows } = await this.tx.query<{ k: string }>(
      `SELECT (${keyExpr(view, 't', true)})::text AS k FROM ${qualified(this.schema, view.table)} t
       WHERE t.${wc} >= $1::${type} + interval '1 day' AND t.${wc} <= $2::${type}`,
      [from, to],
    );
    return rows.map((r) => r.k);
  }

  /** Moves rows (by key) to the view's `_removed` side table with every column; returns how many. */
  async moveToRemoved(keys: readonly string[], runId: string): Promise<number> {
    if (keys.length === 0) return 0;
    const table = qualified(this.schema, this.view.table);
    const removed = qualified(this.schema, `${this.view.table}_removed`);
    const columns = await this.syncRemovedColumns();
    const list = columns.map(ident).join(', ');
    const single = !this.view.keyNullable && this.view.key.length === 1;
    const keyType = single ? `${SQL_TYPES[fieldByColumn(this.view, this.view.key[0]!).type]}[]` : 'text[]';
    const { rowCount } = await this.tx.query(
      `WITH gone AS (DELETE FROM ${table} t WHERE ${keyExpr(this.view, 't', true)} = ANY ($1::${keyType}) RETURNING *)
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

  /** Refreshes planner statistics after a large change, so the analysts' queries plan well. */
  async analyzeIfLarge(counts: MergeCounts): Promise<void> {
    const changed = counts.inserted + counts.updated;
    if (changed < 1000) return;
    await this.tx.exec(`ANALYZE ${qualified(this.schema, this.view.table)}`);
  }
}
