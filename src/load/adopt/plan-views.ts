/**
 * Views. PostgreSQL refuses to change the type of a column a view reads, so the analysts' views over
 * the converted tables are dropped and recreated from their own definitions (with their grants, owner
 * and comment). The deparsed text pins literals to the old types (`visible_to_customer = 'Yes'::text`
 * cannot compare with a boolean), so a definition that fails is retried with those casts removed; if
 * that fails too, the adoption stops and changes nothing. The product's views are created from the
 * target, replacing legacy views of the same name.
 */
import { MigrationRequiredError } from '../../errors.js';
import { ident, qualified, type Tx } from '../db.js';
import type { PlanContext } from './context.js';
import type { PlannedStep } from './adoption-steps.js';

interface DependentView {
  readonly schema: string;
  readonly name: string;
  readonly kind: string;
  readonly depth: number;
  readonly definition: string;
  readonly options: string[] | null;
  /** The COMMENT ON statement restoring its comment (quoted by the server's format()). */
  readonly comment: string;
  readonly owner: string;
  readonly me: string;
  readonly grants: string[];
}

/** Views (any schema) that read the given relations, directly or through other views; deepest last. */
async function readDependentViews(tx: Tx, relations: readonly string[]): Promise<DependentView[]> {
  if (relations.length === 0) return [];
  const { rows } = await tx.query<DependentView>(
    `WITH RECURSIVE dep(oid, depth) AS (
       SELECT r.ev_class, 1
       FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
       WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
         AND d.refobjid = ANY ($1::text[]::regclass[]) AND r.ev_class <> d.refobjid
       UNION ALL
       SELECT r.ev_class, dep.depth + 1
       FROM dep JOIN pg_depend d ON d.refobjid = dep.oid AND d.classid = 'pg_rewrite'::regclass
         AND d.refclassid = 'pg_class'::regclass
       JOIN pg_rewrite r ON r.oid = d.objid
       WHERE r.ev_class <> dep.oid AND dep.depth < 32)
     SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, max(dep.depth)::int AS depth,
            pg_get_viewdef(c.oid) AS definition, c.reloptions::text[] AS options,
            format('COMMENT ON VIEW %I.%I IS %L', n.nspname, c.relname, obj_description(c.oid, 'pg_class')) AS comment,
            pg_get_userbyid(c.relowner) AS owner, current_user::text AS me,
            ARRAY(SELECT format('GRANT %s ON %I.%I TO %s%s', a.privilege_type, n.nspname, c.relname,
                                CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                                CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
                  FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner) AS grants
     FROM dep JOIN pg_class c ON c.oid = dep.oid JOIN pg_namespace n ON n.oid = c.relnamespace
     GROUP BY c.oid, n.nspname
     ORDER BY max(dep.depth), c.oid`,
    [relations],
  );
  return rows;
}

export async function planViews(ctx: PlanContext, convertedTables: readonly string[]): Promise<PlannedStep[]> {
  const productViews = [...ctx.target.values()].filter((r) => r.kind === 'v').sort((a, b) => a.name.localeCompare(b.name));
  const replaced = productViews.filter((v) => ctx.legacy.get(v.name)?.kind === 'v').map((v) => v.name);
  for (const view of productViews) {
    const kind = ctx.legacy.get(view.name)?.kind;
    if (kind !== undefined && kind !== 'v')
      ctx.blockers.push(`${view.name} exists but is not a view; rename it so the product's view can be created`);
  }
  const dependents = (
    await readDependentViews(
      ctx.tx,
      [...convertedTables, ...replaced].map((t) => qualified(ctx.schema, t)),
    )
  ).filter((v) => !(v.schema === ctx.schema && replaced.includes(v.name)));
  for (const view of dependents.filter((v) => v.kind !== 'v')) {
    ctx.blockers.push(
      `materialized view ${view.schema}.${view.name} reads columns the adoption converts; drop it before migrate and recreate it after`,
    );
  }
  const plain = dependents.filter((v) => v.kind === 'v');
  const steps: PlannedStep[] = [];
  // Deepest first, so no view is dropped while another still reads it.
  for (const view of [...plain].reverse()) {
    steps.push({
      // biome-ignore lint/suspicious/noThenProperty: `then` is a field of migrate --dry-run's JSON plan, not a thenable
      step: { action: 'drop-view', view: `${view.schema}.${view.name}`, then: 'recreate' },
      phase: 'detach',
      table: view.name,
      statements: [{ sql: `DROP VIEW ${qualified(view.schema, view.name)}` }],
    });
  }
  for (const name of replaced) {
    steps.push({
      // biome-ignore lint/suspicious/noThenProperty: `then` is a field of migrate --dry-run's JSON plan, not a thenable
      step: { action: 'drop-view', view: `${ctx.schema}.${name}`, then: 'replace' },
      phase: 'detach',
      table: name,
      statements: [{ sql: `DROP VIEW ${qualified(ctx.schema, name)}` }],
    });
  }
  for (const view of productViews) {
    steps.push({
      step: { action: 'create-view', view: `${ctx.schema}.${view.name}` },
      phase: 'views',
      table: view.name,
      // Read from the scratch schema unqualified; the target schema is first on the search_path now.
      statements: [{ sql: `CREATE VIEW ${qualified(ctx.schema, view.name)} AS ${view.viewDefinition}` }],
    });
  }
  for (const view of plain) {
    steps.push({
      step: { action: 'recreate-view', view: `${view.schema}.${view.name}` },
      phase: 'views',
      table: view.name,
      run: (tx) => recreateView(tx, view),
    });
  }
  return steps;
}

/** `'Yes'::text` → `'Yes'`: lets a literal take the new column type, as it did in the analysts' original SQL. */
function withoutLiteralCasts(definition: string): string {
  return definition.replace(/('(?:[^']|'')*')::(?:text|character varying)\b/g, '$1');
}

async function recreateView(tx: Tx, view: DependentView): Promise<void> {
  const name = qualified(view.schema, view.name);
  const options = view.options?.length ? ` WITH (${view.options.join(', ')})` : '';
  let lastError: unknown = null;
  for (const definition of [view.definition, withoutLiteralCasts(view.definition)]) {
    await tx.exec('SAVEPOINT otc_adopt_view');
    try {
      await tx.exec(`CREATE VIEW ${name}${options} AS ${definition}`);
      await tx.exec('RELEASE SAVEPOINT otc_adopt_view');
      lastError = null;
      break;
    } catch (error) {
      await tx.exec('ROLLBACK TO SAVEPOINT otc_adopt_view');
      lastError = error;
    }
  }
  if (lastError !== null) {
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new MigrationRequiredError(
      `view ${view.schema}.${view.name} reads columns the adoption converts and cannot be recreated on the new ` +
        `column types (${reason}). Nothing was changed. Drop the view, run \`otc-etl migrate\`, then recreate it for ` +
        'the new types (see `otc-etl migrate --dry-run`).',
      { cause: lastError },
    );
  }
  for (const grant of view.grants) await tx.exec(grant);
  if (view.owner !== view.me) await tx.exec(`ALTER VIEW ${name} OWNER TO ${ident(view.owner)}`);
  await tx.exec(view.comment);
}
