/**
 * Finds an export's header row below the title and blank rows people's exports put above it: the header
 * is the first row that places the file in a view. Fed one row at a time, so a reader stops as soon as
 * it is found. Pure: no I/O.
 */
import type { ViewSpec } from '../registry.js';
import { placeHeaders } from './detect-view.js';

/**
 * Rows with something in them looked at before a file is called unplaceable. A title block is a few
 * lines; past this many, the rows are data under headers we do not know, and reading on would only
 * make a wrong file slower to refuse.
 */
export const HEADER_SEARCH_ROWS = 50;

/** What a file (or sheet) holds when no row of it places it in a view. */
export type Unplaced =
  /** Nothing: no row with anything in it. */
  | { readonly kind: 'blank' }
  /** Only title lines: rows of one filled cell each, and no header under them. */
  | { readonly kind: 'titles'; readonly rows: number }
  /** Rows of data under headers that name no view (the first such row's cells). */
  | { readonly kind: 'unknown'; readonly headers: readonly string[] };

export class HeaderSearch {
  private rows = 0;
  private firstRow: string[] = [];
  private firstTable: string[] | null = null;

  /** `forced`: the view the user named (`--view`); the header is then the first row naming one of its fields. */
  constructor(private readonly forced?: ViewSpec) {}

  /**
   * The view this row places the file in, when it is the header; null otherwise. `names` are the row's
   * cells as header names (null for an empty cell).
   */
  offer(names: ReadonlyArray<string | null>): ViewSpec | null {
    const filled = names.filter((n): n is string => n !== null);
    if (filled.length === 0) return null;
    if (this.rows++ === 0) this.firstRow = filled;
    const view = placeHeaders(filled, this.forced);
    if (view) return view;
    if (filled.length > 1) this.firstTable ??= filled;
    return null;
  }

  /** Whether enough rows were seen to stop looking. */
  get exhausted(): boolean {
    return this.rows >= HEADER_SEARCH_ROWS;
  }

  /** What the rows offered so far hold, when none of them was the header. */
  verdict(): Unplaced {
    if (this.rows === 0) return { kind: 'blank' };
    if (this.firstTable === null && !this.exhausted) return { kind: 'titles', rows: this.rows };
    return { kind: 'unknown', headers: this.firstTable ?? this.firstRow };
  }
}
