/** Runs import and reprocess the way the CLI does, and writes small export files for them. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../src/config.js';
import type { Db } from '../../src/load/db.js';
import { silentLogger } from '../../src/log.js';
import { withRunLock } from '../../src/pipeline/guard.js';
import { planImport, planImports, runImport, type ImportResult, type PlanOptions, type SkippedSheet } from '../../src/pipeline/import.js';
import { runReprocess, type ReprocessResult } from '../../src/pipeline/reprocess.js';
import type { ViewName } from '../../src/registry.js';

export async function importOnce(db: Db, config: Config, paths: readonly string[], view?: ViewName): Promise<ImportResult> {
  const deps = { db, config, log: silentLogger };
  const files = await planImport(paths, view);
  return withRunLock(deps, 'import', { autoMigrate: true }, () => runImport(deps, files));
}

/** An import with `--view`/`--sheet`, and the sheets it skipped. */
export async function importPlanned(
  db: Db,
  config: Config,
  paths: readonly string[],
  options: PlanOptions = {},
): Promise<ImportResult & { skipped: SkippedSheet[] }> {
  const deps = { db, config, log: silentLogger };
  const plan = await planImports(paths, options);
  const result = await withRunLock(deps, 'import', { autoMigrate: true }, () => runImport(deps, plan.files));
  return { ...result, skipped: plan.skipped };
}

export async function reprocessOnce(db: Db, config: Config, views?: ViewName[]): Promise<ReprocessResult> {
  const deps = { db, config, log: silentLogger };
  return withRunLock(deps, 'reprocess', { autoMigrate: true }, () => runReprocess(deps, { views }));
}

/** The outcome of the only (or the named) file of an import. */
export function fileOutcome(result: ImportResult, name?: string) {
  const found = name ? result.files.find((f) => f.file.name === name) : result.files[0];
  if (!found) throw new Error(`no outcome for ${name ?? 'the file'}`);
  return found.outcome;
}

/** A CSV file from a header list and rows of cells, quoting cells that need it. */
export async function writeCsv(
  dir: string,
  name: string,
  headers: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
  options: { delimiter?: ',' | ';'; bom?: boolean; eol?: string } = {},
): Promise<string> {
  const d = options.delimiter ?? ',';
  const quote = (cell: string | number) => {
    const text = String(cell);
    return /["\r\n]/.test(text) || text.includes(d) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const eol = options.eol ?? '\r\n';
  const lines = [headers, ...rows].map((r) => r.map(quote).join(d));
  const path = join(dir, name);
  await writeFile(path, `${options.bom ? '\uFEFF' : ''}${lines.join(eol)}${eol}`, 'utf8');
  return path;
}

export async function writeJson(dir: string, name: string, body: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(body), 'utf8');
  return path;
}
