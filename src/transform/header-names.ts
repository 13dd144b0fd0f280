/**
 * Export headers as people's spreadsheets spell them: `tkt-ticket id`, `TKT-Title `, `TKTCT-Created  Time`
 * are the API's `TKT-Ticket ID`, `TKT-Title` and `TKTCT-Created Time`. One normalisation serves telling a
 * file's view and mapping its columns, so a file that is placed in a view also loads into it. Pure: no I/O.
 */
import type { FieldSpec, ViewSpec } from '../registry.js';

/**
 * A header's comparable form: case folded, surrounding spaces dropped and runs of inner spaces (tabs and
 * non-breaking spaces included, which spreadsheets leave behind) made one space.
 */
export function headerKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The names a field goes by in exports: its API name and its older aliases. */
export function namesOf(field: FieldSpec): readonly string[] {
  return [field.api, ...(field.aliases ?? [])];
}

const fieldsByKey = new WeakMap<ViewSpec, ReadonlyMap<string, FieldSpec>>();

/** The view's fields by the comparable form of each of their names. */
export function fieldKeys(view: ViewSpec): ReadonlyMap<string, FieldSpec> {
  let keys = fieldsByKey.get(view);
  if (!keys) {
    const map = new Map<string, FieldSpec>();
    for (const field of view.fields) for (const name of namesOf(field)) map.set(headerKey(name), field);
    keys = map;
    fieldsByKey.set(view, keys);
  }
  return keys;
}

/** The view's field a header names, under any spelling of its API name or an alias; null for none. */
export function fieldOf(view: ViewSpec, header: string): FieldSpec | null {
  return fieldKeys(view).get(headerKey(header)) ?? null;
}

/**
 * A file's header row as the view's API names: a header naming a field becomes that field's API name; any
 * other header is kept as written (trimmed), so its values stay in `_raw` under the name the file gave.
 * When two columns name the same field, the first one is that field and a later one keeps its own
 * header: nothing in the file is dropped, and which column loads does not depend on the spelling.
 */
export function canonicalHeaders(view: ViewSpec, headers: ReadonlyArray<string | null>): Array<string | null> {
  const taken = new Set<string>();
  return headers.map((header) => {
    if (header === null) return null;
    const field = fieldOf(view, header);
    if (!field || taken.has(field.api)) return header;
    taken.add(field.api);
    return field.api;
  });
}

/** Most names a record renamer remembers: a hostile file could give every record new field names. */
const RENAMER_CACHE_MAX = 1_000;

/**
 * Renames the fields of JSON records to the view's API names (the same rule as `canonicalHeaders`, per
 * record). A record whose names are all exact is handed back as it is, so the usual export costs one
 * lookup per field.
 */
export class RecordRenamer {
  private readonly exact: ReadonlySet<string>;
  private readonly cache = new Map<string, string>();

  constructor(private readonly view: ViewSpec) {
    this.exact = new Set(view.fields.map((f) => f.api));
  }

  rename(record: unknown): unknown {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return record;
    const source = record as Record<string, unknown>;
    let renamed = false;
    for (const name of Object.keys(source)) {
      if (!this.exact.has(name) && this.apiName(name) !== name) {
        renamed = true;
        break;
      }
    }
    if (!renamed) return record;
    const names = canonicalHeaders(this.view, Object.keys(source));
    // No prototype: a field named `__proto__` is kept like any other.
    const out: Record<string, unknown> = Object.create(null);
    Object.keys(source).forEach((name, i) => {
      out[names[i]!] = source[name];
    });
    return out;
  }

  private apiName(name: string): string {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    const api = fieldOf(this.view, name)?.api ?? name;
    if (this.cache.size < RENAMER_CACHE_MAX) this.cache.set(name, api);
    return api;
  }
}
