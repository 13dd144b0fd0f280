/**
 * The response body of a view, as a sequence of string chunks. A full-scale timesheets body is over
 * 100 MB, so it is never built as one string: records are rendered and serialised a batch at a time,
 * and the server writes each chunk only when the socket has drained the previous ones.
 */
import type { ServerResponse } from 'node:http';
import type { ViewSpec } from '../registry.js';
import type { Snapshot } from './dataset.js';
import { droppedFieldOf, envelopeFor, newFieldOf, type ViewFault } from './faults.js';
import { formatInstant } from './time-format.js';

const RECORDS_PER_CHUNK = 500;
/** `duplicate-keys` repeats one record in this many. */
const DUPLICATE_EVERY = 100;
/** `truncated` keeps this share of the records. */
const TRUNCATED_SHARE = 0.1;

export interface BodyInput {
  readonly view: ViewSpec;
  readonly snapshot: Snapshot;
  readonly fault: ViewFault | undefined;
  /** An instant later than every cursor in the data, for the repeated records of `duplicate-keys`. */
  readonly laterThanAllMs: number;
}

type Transform = (record: Record<string, unknown>) => Record<string, unknown>;

function recordTransform(view: ViewSpec, fault: ViewFault | undefined): Transform {
  if (fault === 'new-field') {
    const name = newFieldOf(view);
    return (r) => ({ ...r, [name]: 'simulated new value' });
  }
  if (fault === 'drop-field') {
    const name = droppedFieldOf(view);
    // Records are rendered afresh for every request, so editing one in place touches nothing shared.
    return (r) => {
      delete r[name];
      return r;
    };
  }
  return (r) => r;
}

/** A later version of a record: a newer cursor or, for views without one, edited text. */
function laterVersion(view: ViewSpec, laterThanAllMs: number): Transform {
  const cursor = view.fields.find((f) => f.column === view.cursor);
  if (cursor) {
    const later = formatInstant(laterThanAllMs, 'dmy-hm');
    return (r) => ({ ...r, [cursor.api]: later });
  }
  const text = view.fields.find((f) => f.type === 'text' && !view.key.includes(f.column));
  if (!text) return (r) => r;
  return (r) => ({ ...r, [text.api]: `${String(r[text.api])} (edited)` });
}

function* serialise(indexes: Iterable<number>, snapshot: Snapshot, transform: Transform, leadingComma: boolean): Generator<string> {
  let batch: Record<string, unknown>[] = [];
  let comma = leadingComma;
  const flush = function* (): Generator<string> {
    if (batch.length === 0) return;
    const json = JSON.stringify(batch);
    yield (comma ? ',' : '') + json.slice(1, -1);
    comma = true;
    batch = [];
  };
  for (const i of indexes) {
    batch.push(transform(snapshot.record(i)));
    if (batch.length === RECORDS_PER_CHUNK) yield* flush();
  }
  yield* flush();
}

function* range(from: number, to: number, step = 1): Generator<number> {
  for (let i = from; i < to; i += step) yield i;
}

export function* bodyChunks({ view, snapshot, fault, laterThanAllMs }: BodyInput): Generator<string> {
  const envelope = envelopeFor(fault);
  yield envelope.open;
  if (fault === 'malformed') {
    // A few good records, then one cut short: the JSON is invalid but the HTTP exchange is complete.
    const shown = Math.min(3, snapshot.count);
    yield* serialise(range(0, shown), snapshot, (r) => r, false);
    const key = view.fields.find((f) => f.column === view.key[0])?.api ?? 'id';
    yield `${shown > 0 ? ',' : ''}{${JSON.stringify(key)}: ${envelope.close}`;
    return;
  }
  const count = fault === 'empty' ? 0 : fault === 'truncated' ? Math.floor(snapshot.count * TRUNCATED_SHARE) : snapshot.count;
  yield* serialise(range(0, count), snapshot, recordTransform(view, fault), false);
  if (fault === 'duplicate-keys') {
    yield* serialise(range(0, count, DUPLICATE_EVERY), snapshot, laterVersion(view, laterThanAllMs), count > 0);
  }
  yield envelope.close;
}

/** Resolves when the socket wants more data, or when the client has gone away. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Write every chunk, honouring backpressure, then end the response. Stops if the client disconnects. */
export async function writeChunks(res: ServerResponse, chunks: Iterable<string | Uint8Array>): Promise<void> {
  for (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk)) await drained(res);
  }
  if (!res.destroyed) res.end();
}

/** Declare the full length, send half, then drop the connection (the `cutoff` fault). */
export async function writeHalfThenDrop(res: ServerResponse, body: () => Iterable<string>): Promise<void> {
  let total = 0;
  for (const chunk of body()) total += Buffer.byteLength(chunk);
  res.setHeader('Content-Length', total);
  let budget = Math.floor(total / 2);
  for (const chunk of body()) {
    if (res.destroyed) return;
    const bytes = Buffer.from(chunk);
    if (bytes.length >= budget) {
      res.write(bytes.subarray(0, budget), () => res.destroy());
      return;
    }
    budget -= bytes.length;
    if (!res.write(bytes)) await drained(res);
  }
}
