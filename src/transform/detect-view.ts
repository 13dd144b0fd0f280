/**
 * Which view an export belongs to, told from its headers (the API field names, or the older `CT-*`
 * comment headers listed as aliases in the registry), spelt in any case and spacing. Pure: no I/O.
 */
import { VIEWS, type ViewSpec } from '../registry.js';
import { fieldKeys, headerKey, namesOf } from './header-names.js';

/** How many of the headers are fields of the view (API names or aliases, any spelling). */
export function knownHeaderCount(view: ViewSpec, headers: readonly string[]): number {
  const keys = fieldKeys(view);
  return headers.filter((h) => keys.has(headerKey(h))).length;
}

/** Whether every part of the view's key has a column, under its API name or an alias. */
function hasKeyColumns(view: ViewSpec, headers: ReadonlySet<string>): boolean {
  return view.key.every((column) => {
    const field = view.fields.find((f) => f.column === column)!;
    return namesOf(field).some((name) => headers.has(headerKey(name)));
  });
}

/**
 * The view whose key columns are all among the headers and which knows the most of them; null when no
 * view has its key columns, or two views tie (a file we cannot place is never guessed at: loading it
 * into the wrong table would store nothing useful and reject every record).
 */
export function detectView(headers: readonly string[]): ViewSpec | null {
  const set = new Set(headers.map(headerKey));
  const scored = VIEWS.filter((v) => hasKeyColumns(v, set))
    .map((view) => ({ view, score: knownHeaderCount(view, headers) }))
    .sort((a, b) => b.score - a.score);
  if (scored.length === 0) return null;
  if (scored.length > 1 && scored[0]!.score === scored[1]!.score) return null;
  return scored[0]!.view;
}

/**
 * The view a row of headers places a file in: the detected one, or — when the user named the view
 * (`--view`) — that view as soon as the row names one of its fields.
 */
export function placeHeaders(headers: readonly string[], forced?: ViewSpec): ViewSpec | null {
  if (forced) return knownHeaderCount(forced, headers) > 0 ? forced : null;
  return detectView(headers);
}

const SHOWN_HEADERS = 12;

/** The headers for an error message: the first few, quoted, and how many more there were. */
export function describeHeaders(headers: readonly string[]): string {
  if (headers.length === 0) return 'no headers';
  const shown = headers.slice(0, SHOWN_HEADERS).map((h) => JSON.stringify(h.slice(0, 60)));
  const more = headers.length - shown.length;
  return `headers ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}
