/**
 * What a schema looks like from the outside, for "changed nothing" and "same as a fresh migration"
 * checks: relations, column types, row counts, constraints, indexes.
 */
import type { Db } from '../../src/load/db.js';

export interface SchemaDump {
  readonly schemas: string[];
  readonly relations: string[];
  readonly columns: string[];
  readonly rows: Record<string, number>;
}

/** Relations with their kind, every column with its type, and the row count of every table. */
export async function dumpSchema(db: Db, schema = 'servicedesk'): Promise<SchemaDump> {
  const schemas = await db.query<{ n: string }>(`SELECT nspname AS n FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' ORDER BY 1`);
  const relations = await db.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 ORDER BY 1`,
    [schema],
  );
  const columns = await db.query<{ c: string }>(
    `SELECT table_name || '.' || column_name || ' ' || data_type AS c FROM information_schema.columns
     WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
    [schema],
  );
  const rows: Record<string, number> = {};
  for (const r of relations.rows.filter((r) => r.kind === 'r')) {
    const { rows: n } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}"."${r.name}"`);
    rows[r.name] = Number(n[0]!.n);
  }
  return {
    schemas: schemas.rows.map((s) => s.n),
    relations: relations.rows.map((r) => `${r.name} (${r.kind})`),
    columns: columns.rows.map((c) => c.c),
    rows,
  };
}

export interface TableShape {
  readonly columns: string[];
  readonly constraints: string[];
  readonly indexes: string[];
}

/** Per table: columns (type, NOT NULL, default, generated), constraints and indexes, without the schema name. */
export async function tableShapes(db: Db, schema: string): Promise<Record<string, TableShape>> {
  const unqualify = (text: string) => text.split(`"${schema}".`).join('').split(`${schema}.`).join('');
  const columns = await db.query<{ t: string; c: string }>(
    `SELECT c.relname AS t, a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
              || coalesce(CASE WHEN a.attgenerated <> '' THEN ' GENERATED ' ELSE ' DEFAULT ' END || pg_get_expr(d.adbin, d.adrelid), '') AS c
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1, 2`,
    [schema],
  );
  const constraints = await db.query<{ t: string; c: string }>(
    `SELECT c.relname AS t, k.conname || ' ' || pg_get_constraintdef(k.oid) AS c
     FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND k.contype <> 'n' ORDER BY 1, 2`,
    [schema],
  );
  const indexes = await db.query<{ t: string; c: string }>(
    `SELECT tablename AS t, indexdef AS c FROM pg_indexes WHERE schemaname = $1 ORDER BY 1, 2`,
    [schema],
  );
  const shapes: Record<string, TableShape> = {};
  const shape = (t: string) => (shapes[t] ??= { columns: [], constraints: [], indexes: [] });
  for (const r of columns.rows) shape(r.t).columns.push(unqualify(r.c));
  for (const r of constraints.rows) shape(r.t).constraints.push(unqualify(r.c));
  for (const r of indexes.rows) shape(r.t).indexes.push(unqualify(r.c));
  return shapes;
}
