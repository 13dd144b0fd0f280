/**
 * Planning an import: every file is read as far as it takes to tell what it holds — which view, which
 * sheets of a workbook, whether it holds anything at all — before the database is touched, so a wrong
 * file is a usage error (exit 2) rather than a failed run.
 */
import { stat } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { posesAsOtherKind } from '../load/source-kind.js';
import { getView, VIEWS, type ViewName, type ViewSpec } from '../registry.js';
import type { ExportFormat } from '../source/export-format.js';
import { describeHeaders } from '../transform/detect-view.js';
import { headerKey, namesOf } from '../transform/header-names.js';
import { HEADER_SEARCH_ROWS, type Unplaced } from '../transform/header-search.js';
import { emptyReason, surveyExport, type ExportPart } from './export-file.js';

/** One file to import (or one sheet of a workbook), its view already known. */
export interface ImportFile {
  /** The path as given. */
  readonly path: string;
  /** Where the file is read: the path as given, from the directory the command runs in. */
  readonly location: string;
  /**
   * `etl_metadata.source` and the rows' `_last_source`: the file's base name, and for a sheet of a
   * workbook with more than one sheet, `#` and the sheet's name (`export.xlsx#Sheet2`).
   */
  readonly name: string;
  /** The view; null only for a file that holds no records and no header to tell a view by (it fails). */
  readonly view: ViewSpec | null;
  readonly format: ExportFormat;
  readonly bytes: number;
  /** The workbook sheet this file is, or null for a CSV or JSON file (or a workbook taken whole). */
  readonly sheet: { readonly name: string; readonly index: number } | null;
  /** The view the user named (`--view`), which then decides the header row. */
  readonly forced: boolean;
  /** Why it holds no records, when that is known before reading it (it then fails unread). */
  readonly empty: string | null;
}

/** A workbook sheet not imported, and why. */
export interface SkippedSheet {
  readonly path: string;
  /** The name it would have had as a file (`export.xlsx#Notes`). */
  readonly name: string;
  readonly sheet: string;
  readonly reason: string;
}

export interface ImportPlan {
  readonly files: ImportFile[];
  readonly skipped: SkippedSheet[];
}

export interface PlanOptions {
  /** `--view`: the view every file holds, when their headers do not tell. */
  readonly view?: ViewName;
  /** `--sheet`: the one sheet of each workbook to import. */
  readonly sheet?: string;
  /** The directory relative paths start from (default: the process's). */
  readonly cwd?: string;
}

function keyHeaders(view: ViewSpec): string {
  return view.key.map((column) => namesOf(view.fields.find((f) => f.column === column)!).join(' or ')).join(', ');
}

/** The files of `planImports`, for callers that have no sheets to report. */
export async function planImport(paths: readonly string[], forced?: ViewName): Promise<ImportFile[]> {
  return (await planImports(paths, { view: forced })).files;
}

/**
 * Where to read `path` given relative to `cwd`. The path as given when that is the same file, so the
 * messages of a command run from the process's own directory name the file exactly as the user did.
 */
function locate(path: string, cwd: string | undefined): string {
  if (cwd === undefined || isAbsolute(path)) return path;
  const there = resolve(cwd, path);
  return there === resolve(path) ? path : there;
}

/**
 * Checks every file and tells its view (or each sheet's) before anything is loaded, so a wrong file is a
 * usage error (exit 2) rather than a failed run. A file that holds no records is planned anyway, and fails
 * when its turn comes.
 */
export async function planImports(paths: readonly string[], options: PlanOptions = {}): Promise<ImportPlan> {
  const forced = options.view === undefined ? undefined : getView(options.view);
  const plan: ImportPlan = { files: [], skipped: [] };
  for (const path of paths) {
    const name = basename(path);
    // Stored runs and rows tell an API sync or a reprocess by its name alone: a file stored under one
    // would count as an API sync for freshness and the volume guard, and guard its rows as one.
    if (posesAsOtherKind(name)) {
      throw new ConfigError(`cannot import a file named ${name}: that name is reserved for otc-etl's own loads; rename the file.`);
    }
    const location = locate(path, options.cwd);
    const info = await stat(location).catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(`cannot read ${path}: ${error.code === 'ENOENT' ? 'no such file' : (error.code ?? error.message)}.`);
    });
    if (!info.isFile()) throw new ConfigError(`cannot import ${path}: not a file.`);
    const survey = await surveyExport(location, { name, forced }).catch((error: unknown) => {
      throw new ConfigError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    const base = { path, location, format: survey.format, bytes: info.size, forced: forced !== undefined };
    const several = survey.parts.length > 1;
    const parts = options.sheet === undefined ? survey.parts : [pickSheet(path, survey.format, survey.parts, options.sheet)];
    const placed = parts.filter((p) => p.view !== null);
    if (placed.length === 0) {
      plan.files.push({ ...base, ...unplacedFile(path, name, parts, forced, several), view: forced ?? null });
      continue;
    }
    for (const part of parts) {
      const partName = several && part.sheet ? `${name}#${part.sheet.name}` : name;
      if (part.view) {
        plan.files.push({ ...base, name: partName, view: part.view, sheet: several ? part.sheet : null, empty: null });
      } else {
        plan.skipped.push({ path, name: partName, sheet: part.sheet!.name, reason: skipReason(part.unplaced!, forced) });
      }
    }
  }
  return plan;
}

/** The sheet `--sheet` names: by its exact name, else by the name in any case and spacing. */
function pickSheet(path: string, format: ExportFormat, parts: readonly ExportPart[], wanted: string): ExportPart {
  if (format !== 'xlsx') throw new ConfigError(`--sheet picks a sheet of an XLSX workbook, and ${path} is a ${format.toUpperCase()} file.`);
  const found = parts.find((p) => p.sheet!.name === wanted) ?? parts.find((p) => headerKey(p.sheet!.name) === headerKey(wanted));
  if (found) return found;
  const names = parts.map((p) => JSON.stringify(p.sheet!.name)).join(', ');
  throw new ConfigError(`${path} has no sheet named ${JSON.stringify(wanted)}; its sheets are ${names}.`);
}

/**
 * A file none of whose parts is placed in a view: a usage error when some part holds rows under headers
 * we do not know (a wrong file, or one that needs `--view`); otherwise it holds no records, and is planned
 * to fail as such.
 */
function unplacedFile(
  path: string,
  name: string,
  parts: readonly ExportPart[],
  forced: ViewSpec | undefined,
  several: boolean,
): Pick<ImportFile, 'name' | 'sheet' | 'empty'> {
  const unknown = parts.filter((p) => p.unplaced?.kind === 'unknown');
  if (unknown.length > 0) throw cannotPlace(path, unknown, forced);
  if (parts.length === 1) {
    const [part] = parts as [ExportPart];
    const partName = several && part.sheet ? `${name}#${part.sheet.name}` : name;
    return { name: partName, sheet: several ? part.sheet : null, empty: emptyReason(part.unplaced, forced) };
  }
  return { name, sheet: null, empty: `none of its ${parts.length} sheets has a header row or records` };
}

function cannotPlace(path: string, parts: readonly ExportPart[], forced?: ViewSpec): ConfigError {
  const where = (part: ExportPart) => {
    const headers = part.unplaced?.kind === 'unknown' ? part.unplaced.headers : [];
    return `${part.sheet ? `sheet ${JSON.stringify(part.sheet.name)} has ` : 'it has '}${describeHeaders(headers)}`;
  };
  const found = parts.map(where).join('; ');
  if (forced) {
    return new ConfigError(
      `none of the fields of ${path} belong to the ${forced.name} view (${found}); check --view. ` +
        `The header row is looked for in the first ${HEADER_SEARCH_ROWS} rows.`,
    );
  }
  const needs = VIEWS.map((v) => `${v.name} needs ${keyHeaders(v)}`).join('; ');
  return new ConfigError(
    `cannot tell which view ${path} holds: ${found}. Each view is recognised by its key columns (${needs}), ` +
      `in any case and spacing, in a header row within the first ${HEADER_SEARCH_ROWS} rows. ` +
      'If the file is one of them, name it with --view.',
  );
}

function skipReason(unplaced: Unplaced, forced?: ViewSpec): string {
  if (unplaced.kind === 'blank') return 'the sheet is empty';
  if (unplaced.kind === 'titles') return 'the sheet has only title lines';
  const names = forced ? `a field of the ${forced.name} view` : "a view's key columns";
  return `no header row names ${names} (it has ${describeHeaders(unplaced.headers)})`;
}
