/**
 * Property: whatever mix of hostile records a body holds (too large, bytes that are not UTF-8, a field
 * named twice with different values, a key id that is not positive, times years ahead, the credentials
 * echoed inside), cut into whatever chunks, the load never crashes, the counts add up, every hostile
 * record is in load_rejects at its position with its key, and no secret shows in any stored text.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Config } from '../../src/config.js';
import type { Db } from '../../src/load/db.js';
import { applyMigrations } from '../../src/load/migrate.js';
import { registerSecret, silentLogger } from '../../src/log.js';
import { loadView } from '../../src/pipeline/load-view.js';
import type { RecordSource } from '../../src/pipeline/record-source.js';
import { getView } from '../../src/registry.js';
import { readRecordBatches } from '../../src/transform/record-stream.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { rows } from '../support/harness.js';
import { assertProperty } from '../support/hostile.js';
import { ticket } from '../support/records.js';

const MAX_RECORD_BYTES = 2048;
const USER = 'CloudTicket-Sync';
const PASSWORD = 'prop-Secret-4471"x';
const ECHO = `Authorization: Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')} pw=${PASSWORD}`;

type Kind = 'ok' | 'oversized' | 'utf8' | 'twice' | 'nonpositive' | 'future';
const REJECTED_WHOLE: readonly Kind[] = ['oversized', 'utf8', 'twice', 'nonpositive'];

/** One element of the body as bytes; ids are unique per payload so every record can be accounted for. */
function element(kind: Kind, id: number): Buffer {
  switch (kind) {
    case 'ok':
      return Buffer.from(JSON.stringify(ticket(id)));
    case 'oversized':
      return Buffer.from(JSON.stringify(ticket(id, { 'TKT-Description': `${ECHO} ${'y'.repeat(MAX_RECORD_BYTES + id)}` })));
    case 'utf8': {
      const bytes = Buffer.from(JSON.stringify(ticket(id, { 'TKT-Title': `caf_ ${ECHO}` })));
      bytes[bytes.indexOf('caf_') + 3] = 0xff;
      return bytes;
    }
    case 'twice':
      return Buffer.from(`{"TKT-Ticket ID":${id},"TKT-Title":${JSON.stringify(ECHO)},"TKT-Title":"other"}`);
    case 'nonpositive':
      return Buffer.from(JSON.stringify(ticket(id, { 'TKT-Ticket ID': id % 2 === 0 ? 0 : `-${id}`, 'TKT-Title': ECHO })));
    case 'future':
      return Buffer.from(JSON.stringify(ticket(id, { 'TKT-Modified Time': '01/01/2100 00:00' })));
  }
}

function bodySource(body: Buffer, cuts: readonly number[]): RecordSource {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let from = 0;
    for (const cut of [...cuts.map((c) => c % (body.length + 1))].sort((a, b) => a - b)) {
      yield body.subarray(from, cut);
      from = cut;
    }
    yield body.subarray(from);
  }
  return {
    kind: 'api',
    name: 'api',
    open: async () => ({
      batches: readRecordBatches(chunks(), { view: 'tickets', batchSize: 5, maxRecordBytes: MAX_RECORD_BYTES }),
      close: async () => undefined,
    }),
  };
}

function assertNoSecret(where: string, text: string): void {
  for (let i = 0; i + 8 <= PASSWORD.length; i++) assert.ok(!text.includes(PASSWORD.slice(i, i + 8)), `${where}: ${text.slice(0, 300)}`);
  assert.ok(!text.includes(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')), `${where}: ${text.slice(0, 300)}`);
}

let nextId = 1000;

for (const kind of DATABASE_KINDS) {
  describe(`bodies of hostile records on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let config: Config;

    before(async () => {
      registerSecret(PASSWORD, USER);
      tdb = await createTestDatabase(kind, {}, { migrated: true });
      config = tdb.config({ OTC_MAX_REJECT_RATE: '1', OTC_MAX_RECORD_BYTES: String(MAX_RECORD_BYTES) });
      db = await tdb.open();
      await applyMigrations(db, { schema: 'servicedesk', timezone: null });
    });
    after(async () => {
      await db.close();
      await tdb.drop();
    });

    test('no crash, counts add up, every hostile record is in load_rejects with its key, and no secret is stored', async () => {
      const kinds = fc.array(fc.constantFrom<Kind>('ok', 'ok', 'oversized', 'utf8', 'twice', 'nonpositive', 'future'), {
        minLength: 1,
        maxLength: 16,
      });
      const cuts = fc.array(fc.nat({ max: 60_000 }), { maxLength: 8 });
      await assertProperty(
        fc.asyncProperty(kinds, cuts, async (plan, at) => {
          const ids = plan.map(() => nextId++);
          const parts: Buffer[] = [Buffer.from('{"message":{"data":[')];
          plan.forEach((k, i) => {
            parts.push(...(i === 0 ? [] : [Buffer.from(',')]), element(k, ids[i]!));
          });
          const body = Buffer.concat([...parts, Buffer.from(']}}')]);
          const runId = randomUUID();
          const outcome = await loadView(
            { db, config, runId, log: silentLogger, allowShrink: true },
            getView('tickets'),
            bodySource(body, at),
          );
          const c = outcome.counts;
          assert.ok(outcome.status === 'success' || outcome.status === 'partial', `${outcome.status}: ${outcome.error}`);
          assert.equal(c.fetched, plan.length);
          assert.equal(c.fetched, c.inserted + c.updated + c.unchanged + c.rejected + c.duplicates, JSON.stringify(c));
          const wholeRejects = plan.flatMap((k, i) => (REJECTED_WHOLE.includes(k) ? [i + 1] : []));
          assert.equal(c.rejected, wholeRejects.length);

          const rejects = await rows<{
            position: number;
            kind: string;
            record_key: string | null;
            reason: string;
            raw_text: string | null;
          }>(
            db,
            'SELECT position::int AS position, kind, record_key, reason, raw_text FROM servicedesk.load_rejects WHERE run_id = $1 ORDER BY position, kind',
            [runId],
          );
          assert.deepEqual(
            rejects.filter((r) => r.kind === 'record').map((r) => r.position),
            wholeRejects,
          );
          for (const r of rejects) {
            const k = plan[r.position - 1]!;
            // The key can be read from every rejected record except one whose key is the problem.
            if (k !== 'nonpositive') assert.equal(r.record_key, String(ids[r.position - 1]), `${k}: ${r.reason}`);
            assertNoSecret(`reject ${k} reason`, r.reason);
            assertNoSecret(`reject ${k} raw_text`, r.raw_text ?? '');
            if (r.raw_text !== null) assert.ok(r.raw_text.length < 4300);
          }
          const futures = plan.flatMap((k, i) => (k === 'future' ? [i + 1] : []));
          assert.deepEqual([...new Set(rejects.filter((r) => r.kind === 'value').map((r) => r.position))], futures);
          assert.ok(outcome.cursor === null || !outcome.cursor.startsWith('2100'), `cursor ${outcome.cursor}`);

          const stored = await rows<{ id: number }>(
            db,
            'SELECT "TKT-Ticket ID"::int AS id FROM servicedesk.tickets WHERE "TKT-Ticket ID" = ANY($1::bigint[]) ORDER BY 1',
            [ids],
          );
          assert.deepEqual(
            stored.map((r) => r.id),
            ids.filter((_, i) => !REJECTED_WHOLE.includes(plan[i]!)),
          );
          const [meta] = await rows<{ t: string }>(db, 'SELECT m::text AS t FROM servicedesk.etl_metadata m WHERE run_id = $1', [runId]);
          assertNoSecret('etl_metadata', meta!.t);
        }),
        { numRuns: kind === 'embedded' ? 25 : 30 },
      );
    });
  });
}
