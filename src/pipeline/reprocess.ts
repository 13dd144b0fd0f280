/**
 * A reprocess run: every stored row's source record (rebuilt from its typed columns and `_raw`) fed
 * back through `loadView` as the records of a payload, so the typed columns are re-derived by the
 * current parser with the same counts and rejects as a sync. Nothing is removed, the volume guard does
 * not apply, and the merge lets reprocess rewrite a row from its own record whoever wrote it last (see
 * `replaceGuard` in merge-sql.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { REPROCESS_SOURCE } from '../load/source-kind.js';
import { spoolStoredRecords } from '../load/stored-raw.js';
import { getView, VIEW_NAMES, type ViewName } from '../registry.js';
import { chunksOfFile } from '../source/file-chunks.js';
import { readRecordBatches } from '../transform/record-stream.js';
import { loadView, type ViewOutcome } from './load-view.js';
import type { RecordSource } from './record-source.js';

export interface ReprocessDeps {
  readonly db: Db;
  readonly config: Config;
  readonly log: Logger;
}

export interface ReprocessResult {
  readonly runId: string;
  readonly outcomes: readonly ViewOutcome[];
}

/** The stored source records of a view (columns + `_raw`), spooled to a temporary file when the load opens it. */
function storedRecordSource(deps: ReprocessDeps, view: ViewName): RecordSource {
  return {
    kind: 'reprocess',
    name: REPROCESS_SOURCE,
    // Only spreadsheet imports leave numbers in date fields, always in the 1900 system (see import.ts).
    serialDates: '1900',
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'otc-etl-reprocess-'));
      const close = () => rm(dir, { recursive: true, force: true });
      try {
        const file = join(dir, `${view}.json`);
        await spoolStoredRecords(deps.db, deps.config.schema, getView(view), file);
        return { batches: readRecordBatches(chunksOfFile(file), { view, maxRecordBytes: deps.config.maxRecordBytes }), close };
      } catch (error) {
        await close();
        throw error;
      }
    },
  };
}

export async function runReprocess(
  deps: ReprocessDeps,
  options: { views?: readonly ViewName[]; signal?: AbortSignal } = {},
): Promise<ReprocessResult> {
  const runId = randomUUID();
  const requested = new Set(options.views ?? VIEW_NAMES);
  const views = VIEW_NAMES.filter((v) => requested.has(v));
  const log = deps.log.child({ runId });
  const outcomes: ViewOutcome[] = [];
  log.info({ views }, 'reprocess started');
  for (const name of views) {
    const ctx = { db: deps.db, config: deps.config, runId, log, signal: options.signal };
    const outcome = await loadView(ctx, getView(name), storedRecordSource(deps, name));
    log.info({ view: name, status: outcome.status, ...outcome.counts }, `${name}: ${outcome.status}`);
    outcomes.push(outcome);
  }
  return { runId, outcomes };
}
