/**
 * What a schema holds, read from the system catalogs: tables with their columns, constraints and
 * indexes, and views. The adoption reads the legacy schema and the scratch (target) schema the same
 * way and compares the two. Definitions are printed without the schema name, so they compare equal
 * across schemas and can be replayed with the target schema on the search_path.
 */
import { qualified, type Queryable } from '../db.js';

export interface ColumnInfo {
  readonly name: string;
  /** As format_type prints it: `text`, `timestamp without time zone`, `character varying(50)`… */
  readonly type: string;
  readonly notNull: boolean;
  readonly default: string | null;
  /** The expression of a generated column, else null. */
  readonly generated: string | null;
}

export interface ConstraintInfo {
  readonly name: string;
  /** p primary key, u unique, c check, f foreign key, x exclusion. */
  readonly kind: string;
  readonly definition: string;
  readonly columns: readonly string[];
}

export interface IndexInfo {
  readonly name: string;
  readonly definition: string;
  readonly unique: boolean;
  /** Every column the index reads, expressions and predicates included. */
  readonly columns: readonly string[];
  /** The index behind a primary key, unique or exclusion constraint (dropped with the constraint). */
  readonly backsConstraint: boolean;
}

export interface RelationInfo {
  readonly name: string;
  /** r table, v view, m materialized view, S sequence, …: pg_class.relkind. */
  readonly kind: string;
  readonly columns: readonly ColumnInfo[];
  readonly constraints: readonly ConstraintInfo[];
  readonly indexes: readonly IndexInfo[];
  /** pg_get_viewdef for views, relative to the search_path at the time of reading. */
  readonly viewDefinition: string | null;
}

export type Catalog = ReadonlyMap<string, RelationInfo>;

export async function readCatalog(db: Queryable, schema: string): Promise<Catalog> {
  const relations = await db.query<{ name: string; kind: string; view: string | null }>(
    `SELECT c.relname AS name, c.relkind::text AS kind,
            CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS view
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`,
    [schema],
  );
  const columns = await db.query<ColumnInfo & { rel: string }>(
    `SELECT c.relname AS rel, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull",
            CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS default,
            CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END AS generated
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm')
     ORDER BY c.relname, a.attnum`,
    [schema],
  );
  // NOT NULL constraints (contype 'n', PostgreSQL 18) are read from attnotnull instead.
  const constraints = await db.query<ConstraintInfo & { rel: string }>(
    `SELECT c.relname AS rel, k.conname AS name, k.contype::text AS kind, pg_get_constraintdef(k.oid) AS definition,
            ARRAY(SELECT a.attname::text FROM unnest(k.conkey) AS u(attnum)
                  JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) AS columns
     FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND k.contype IN ('p', 'u', 'c', 'f', 'x')`,
    [schema],
  );
  const indexes = await db.query<IndexInfo & { rel: string }>(
    `SELECT t.relname AS rel, i.relname AS name, x.indisunique AS unique,
            replace(pg_get_indexdef(x.indexrelid), ' ON ' || quote_ident(n.nspname) || '.', ' ON ') AS definition,
            EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = t.oid
                    AND k.contype IN ('p', 'u', 'x')) AS "backsConstraint",
            ARRAY(SELECT DISTINCT a.attname::text FROM pg_depend d
                  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = x.indexrelid
                    AND d.refclassid = 'pg_class'::regclass AND d.refobjid = t.oid AND d.refobjsubid > 0) AS columns
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = $1`,
    [schema],
  );
  const catalog = new Map<string, RelationInfo>();
  for (const r of relations.rows) {
    const of = <T extends { rel: string }>(rows: T[]) => rows.filter((x) => x.rel === r.name);
    catalog.set(r.name, {
      name: r.name,
      kind: r.kind,
      columns: of(columns.rows).map(({ rel: _, ...c }) => c),
      constraints: of(constraints.rows).map(({ rel: _, ...c }) => c),
      indexes: of(indexes.rows).map(({ rel: _, ...i }) => i),
      viewDefinition: r.view,
    });
  }
  return catalog;
}

/** Rows of each table, for the before/after report. */
export async function countRows(db: Queryable, schema: string, tables: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${qualified(schema, table)}`);
    counts[table] = Number(rows[0]!.n);
  }
  return counts;
}

export function columnOf(relation: RelationInfo, name: string): ColumnInfo | undefined {
  return relation.columns.find((c) => c.name === name);
}
