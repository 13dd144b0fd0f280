/**
 * Records are built from the registry's field list, not from a second copy of it: each view supplies
 * fillers for the fields it knows how to make realistic, and every other registry field gets an empty
 * value of its type. A field added to the registry therefore shows up in the simulator at once.
 */
import type { FieldType, ViewSpec } from '../registry.js';

/** Makes one field's value from a record's draft. Must be pure: rendering happens on every request. */
export type Filler<D> = (draft: D) => unknown;

export type Render<D> = (draft: D) => Record<string, unknown>;

/** What the source sends for a field it has no value for: an empty string, whatever the type. */
const EMPTY_BY_TYPE: Readonly<Record<FieldType, unknown>> = {
  id: '',
  text: '',
  instant: '',
  date: '',
  bool: '',
  decimal: '',
  clock: '',
};

export function compileRender<D>(view: ViewSpec, fillers: Readonly<Record<string, Filler<D>>>): Render<D> {
  const known = new Set(view.fields.map((f) => f.api));
  // A filler for a field the registry does not list is a typo or a renamed field: fail at startup,
  // not with a record that silently lacks the field.
  const stray = Object.keys(fillers).filter((api) => !known.has(api));
  if (stray.length > 0) throw new Error(`simulator fillers for unknown ${view.name} fields: ${stray.join(', ')}`);

  const fills = view.fields.map((f) => fillers[f.api] ?? constant(EMPTY_BY_TYPE[f.type]));
  // Build each record as one object literal with the registry's keys in order. Assigning 30 keys one by
  // one through a loop is several times slower (megamorphic keyed stores), and rendering runs for every
  // record of every request: 150,000 timesheets per call at full scale. Keys are JSON-quoted, so any
  // registry name is safe in the generated source.
  const body = view.fields.map((f, i) => `${JSON.stringify(f.api)}: fills[${i}](draft)`).join(',\n');
  const build = new Function('fills', 'draft', `return {\n${body}\n};`) as (
    fills: readonly Filler<D>[],
    draft: D,
  ) => Record<string, unknown>;
  return (draft) => build(fills, draft);
}

function constant<D>(value: unknown): Filler<D> {
  return () => value;
}
