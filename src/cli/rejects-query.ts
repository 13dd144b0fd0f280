/** The query that lists a run's rejects, ready to paste into psql. */

/**
 * PostgreSQL's reserved key words that fit OTC_SCHEMA's lower-case identifier rule: such a schema name
 * must be quoted in SQL, any other can stand bare (and reads as the analysts write it).
 */
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate ' +
    'collation column concurrently constraint create cross current_catalog current_date current_role ' +
    'current_schema current_time current_timestamp current_user default deferrable desc distinct do else end ' +
    'except false fetch for foreign freeze from full grant group having ilike in initially inner intersect ' +
    'into is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null ' +
    'offset on only or order outer overlaps placing primary references returning right select session_user ' +
    'similar some symmetric system_user table tablesample then to trailing true union unique user using ' +
    'variadic verbose when where window with'
  ).split(' '),
);

function schemaName(schema: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(schema) && !RESERVED.has(schema) ? schema : `"${schema.replace(/"/g, '""')}"`;
}

export function rejectsQuery(schema: string, runId: string): string {
  return (
    `SELECT source, position, record_key, kind, reason FROM ${schemaName(schema)}.load_rejects ` +
    `WHERE run_id = '${runId.replace(/'/g, "''")}' ORDER BY source, position;`
  );
}
