/**
 * What a load reads from, and the name each kind is stored under. Code tells kinds apart by `kind`.
 * Stored runs (`etl_metadata.source`) and rows (`_last_source`) carry only the name: an API sync is
 * stored as `api`, a reprocess as `reprocess`, an import under its file's name. SQL over stored runs and
 * rows has nothing else to go by, so no file may be stored under the name of another kind.
 */

/** An API sync, an imported export file, or a reprocess of the stored records. */
export type SourceKind = 'api' | 'file' | 'reprocess';

/** The stored `source` of a sync that fetched from OTC. */
export const API_SOURCE = 'api';

/** The stored `source` of `otc-etl reprocess`: rows re-derived from their own stored record. */
export const REPROCESS_SOURCE = 'reprocess';

/** The kind of a stored run or row's writer, by the name it was stored under. */
export function storedKind(source: string): SourceKind {
  if (source === API_SOURCE) return 'api';
  if (source === REPROCESS_SOURCE) return 'reprocess';
  return 'file';
}

/** Whether an imported file's runs and rows would pass for another kind's if stored under this name. */
export function posesAsOtherKind(fileName: string): boolean {
  return storedKind(fileName) !== 'file';
}
