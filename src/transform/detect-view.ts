/**
 * Which view an export belongs to, told from its headers (the API field names, or the older `CT-*`
 * comment headers listed as aliases in the registry). Pure: no I/O.
 */
import { VIEWS, type FieldSpec, type ViewSpec } from '../registry.js';

function namesOf(field: FieldSpec): readonly string[] {
  return [field.api, ...(field.aliases ?? [])];
}

/** How many of the headers are fields of the view (API names or aliases). */
export function knownHeaderCount(view: ViewSpec, headers: readonly string[]): number {
  const names = new Set(view.fields.flatMap(namesOf));
  return headers.filter((h) => names.has(h)).length;
}

/** Whether every part of the view's key has a column, under its API name or an alias. */
function hasKeyColumns(view: ViewSpec, headers: ReadonlySet<string>): boolean {
  return view.key.every((column) => {
    const field = view.fields.find((f) => f.column === column)!;
    return namesOf(field).some((name) => headers.has(name));
  });
}

/**
 * The view whose key columns are all among the headers and which knows the most of them; null when no
 * view has its key columns, or two views tie (a file we cannot place is never guessed at: loading it
 * into the wrong table would store nothing useful and reject every record).
 */
export function detectView(headers: readonly string[]): ViewSpec | null {
  const set = new Set(headers);
  const scored = VIEWS.filter((v) => hasKeyColumns(v, set))
    .map((view) => ({ view, score: knownHeaderCount(view, headers) }))
    .sort((a, b) => b.score - a.score);
  if (scored.length === 0) return null;
  if (scored.length > 1 && scored[0]!.score === scored[1]!.score) return null;
  return scored[0]!.view;
}

const SHOWN_HEADERS = 12;

/** The headers for an error message: the first few, quoted, and how many more there were. */
export function describeHeaders(headers: readonly string[]): string {
  if (headers.length === 0) return 'no headers';
  const shown = headers.slice(0, SHOWN_HEADERS).map((h) => JSON.stringify(h.slice(0, 60)));
  const more = headers.length - shown.length;
  return `headers ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}
