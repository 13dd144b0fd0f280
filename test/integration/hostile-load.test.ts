import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Config } from '../../src/config.js';
import type { Db } from '../../src/load/db.js';
import { applyMigrations } from '../../src/load/migrate.js';
import { silentLogger } from '../../src/log.js';
import { loadView } from '../../src/pipeline/load-view.js';
import type { RecordSource } from '../../src/pipeline/record-source.js';
import { getView, type ViewName } from '../../src/registry.js';
import { readRecordBatches } from '../../src/transform/record-stream.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { rows } from '../support/harness.js';
import { assertProperty, hostileFieldName, hostileValue, nestedJsonText } from '../support/hostile.js';
import { comment, ticket, timesheet } from '../support/records.js';

/** The fields each view's generated records mix hostile values into (keys included). */
const FIELDS: Record<ViewName, readonly string[]> = {
  tickets: [
    'TKT-Ticket ID',
    'TKT-Title',
    'TKT-Description',
    'TKT-Team',
    'TKT-Status',
    'TKT-Assigned To User',
    'TKT-Created Time',
    'TKT-Modified Time',
    'TKT-Parent ID',
    'TKT-Root Cause Category',
  ],
  comments: [
    'TKTCT-CommentID',
    'TKTCT-TicketID',
    'TKTCT-Comment',
    'TKTCT-UserID',
    'TKTCT-Username',
    'TKTCT-Created Time',
    'TKTCT-VisibleCustomer',
    'CT-COMMENT',
  ],
  timesheets: [
    'TS-User Username',
    'TS-User Full Name',
    'TS-Date',
    'TS-Time From',
    'TS-Time To',
    'TS-Hours',
    'TS-Crm ID',
    'TS-Description',
    'TS-Billable',
    'TS-Modified Time',
  ],
};

/** A valid record of the view with a small key, so generated payloads repeat and update keys. */
const baseRecord = (view: ViewName): fc.Arbitrary<Record<string, unknown>> => {
  if (view === 'tickets') return fc.nat({ max: 40 }).map((id) => ticket(id + 1));
  if (view === 'comments') return fc.nat({ max: 40 }).map((id) => comment(id + 1, 7));
  return fc
    .record({
      user: fc.constantFrom('djewell', 'brian', ''),
      day: fc.integer({ min: 1, max: 28 }),
      from: fc.constantFrom('09:00', '13:00', ''),
      crm: fc.constantFrom(1001, '', 1002),
    })
    .map(({ user, day, from, crm }) =>
      timesheet({ 'TS-User Username': user, 'TS-Date': `${day}/01/2025`, 'TS-Time From': from, 'TS-Crm ID': crm }),
    );
};

/** One element of the payload as JSON text: a record made hostile, or something that is not a record. */
const element = (view: ViewName): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(
          baseRecord(view),
          fc.dictionary(fc.constantFrom(...FIELDS[view]), hostileValue, { maxKeys: 3 }),
          fc.dictionary(hostileFieldName, hostileValue, { maxKeys: 2 }),
          fc.constantFrom(0, 0, 0, 0, 200, 20_000),
        )
        .map(([base, known, unknown, depth]) => {
          const json = JSON.stringify({ ...base, ...known, ...unknown });
          return depth === 0 ? json : `${json.slice(0, -1)},"deep":${nestedJsonText(depth, depth % 2 === 0 ? 'array' : 'object')}}`;
        }),
    },
    { weight: 1, arbitrary: hostileValue.map((v) => JSON.stringify(v) ?? 'null') },
  );

async function* once(body: Buffer): AsyncGenerator<Uint8Array> {
  yield body;
}

/** Records straight from a body, through the same reader as a sync, in small batches. */
function bodySource(view: ViewName, elements: readonly string[]): RecordSource {
  const body = Buffer.from(`{"message":{"data":[${elements.join(',')}]}}`);
  return {
    kind: 'api',
    name: 'api',
    open: async () => ({ batches: readRecordBatches(once(body), { view, batchSize: 7 }), close: async () => undefined }),
  };
}

for (const kind of DATABASE_KINDS) {
  describe(`hostile records loaded into the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let config: Config;

    before(async () => {
      tdb = await createTestDatabase(kind, {}, { migrated: true });
      // Every record may be hostile here: the reject-rate guard has its own tests.
      config = tdb.config({ OTC_MAX_REJECT_RATE: '1' });
      db = await tdb.open();
      await applyMigrations(db, { schema: 'servicedesk', timezone: null });
    });
    after(async () => {
      await db.close();
      await tdb.drop();
    });

    test('every record is stored or quarantined with a reason, no batch aborts, and the counts add up', async () => {
      const payload = fc
        .constantFrom<ViewName>('tickets', 'comments', 'timesheets')
        .chain((view) => fc.tuple(fc.constant(view), fc.array(element(view), { minLength: 1, maxLength: 30 })));
      await assertProperty(
        fc.asyncProperty(payload, async ([view, elements]) => {
          const spec = getView(view);
          const runId = randomUUID();
          const [before] = await rows<{ n: number }>(db, `SELECT count(*)::int AS n FROM servicedesk.${spec.table}`);
          const ctx = { db, config, runId, log: silentLogger, allowShrink: true };
          const outcome = await loadView(ctx, spec, bodySource(view, elements));
          const c = outcome.counts;
          assert.ok(outcome.status === 'success' || outcome.status === 'partial', `${view} ${outcome.status}: ${outcome.error}`);
          assert.equal(c.fetched, elements.length);
          assert.equal(c.fetched, c.inserted + c.updated + c.unchanged + c.rejected + c.duplicates, JSON.stringify(c));

          const [meta] = await rows<{ load_status: string; records_fetched: number; records_errors: number; records_value_errors: number }>(
            db,
            'SELECT load_status, records_fetched, records_errors, records_value_errors FROM servicedesk.etl_metadata WHERE run_id = $1',
            [runId],
          );
          assert.deepEqual(
            [meta!.load_status, Number(meta!.records_fetched), Number(meta!.records_errors), Number(meta!.records_value_errors)],
            [outcome.status, c.fetched, c.rejected, c.valueErrors],
          );
          const [q] = await rows<{ records: number; values: number; without_raw: number; without_reason: number }>(
            db,
            `SELECT count(*) FILTER (WHERE kind = 'record')::int AS records, count(*) FILTER (WHERE kind = 'value')::int AS values,
                    count(*) FILTER (WHERE raw_record IS NULL AND raw_text IS NULL)::int AS without_raw,
                    count(*) FILTER (WHERE reason = '')::int AS without_reason
             FROM servicedesk.load_rejects WHERE run_id = $1`,
            [runId],
          );
          assert.deepEqual(q, { records: c.rejected, values: c.valueErrors, without_raw: 0, without_reason: 0 });

          const [afterLoad] = await rows<{ n: number; touched: number }>(
            db,
            `SELECT count(*)::int AS n, count(*) FILTER (WHERE _last_run_id = $1)::int AS touched FROM servicedesk.${spec.table}`,
            [runId],
          );
          assert.equal(afterLoad!.n, before!.n + c.inserted - c.removed);
          assert.equal(afterLoad!.touched, c.inserted + c.updated);
        }),
        { numRuns: kind === 'embedded' ? 15 : 20 },
      );
    });

    test('adversarial records land where a user would look for them', async () => {
      const hugeTeam = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 94))).join('');
      const elements = [
        JSON.stringify(
          ticket(101, { 'TKT-Title': "'; DROP TABLE servicedesk.tickets; --", 'TKT-Description': 'nul\u0000 and \ud800 lone' }),
        ),
        JSON.stringify(
          ticket(102, { 'TKT-Team': hugeTeam, 'TKT-Created Time': '31/02/2025 09:00', 'TKT-Parent ID': '99999999999999999999' }),
        ),
        JSON.stringify(
          ticket(103, {
            'TKT-Modified Time': '31/12/9999 23:59',
            'TKT-Created Time': '01/01/0001 00:00',
            __proto__x: 1,
            ['a"b\u0000']: '😀',
          }),
        ),
        `${JSON.stringify(ticket(104)).slice(0, -1)},"deep":${nestedJsonText(10_000, 'array')}}`,
        JSON.stringify(ticket(105, { 'TKT-Ticket ID': 'DROP' })),
        `{"TKT-Ticket ID":106,"__proto__":{"polluted":true}}`,
      ];
      const runId = randomUUID();
      const outcome = await loadView({ db, config, runId, log: silentLogger }, getView('tickets'), bodySource('tickets', elements));
      assert.equal(outcome.status, 'partial', outcome.error ?? '');
      assert.deepEqual([outcome.counts.fetched, outcome.counts.inserted, outcome.counts.rejected], [6, 4, 2]);

      const stored = await rows<Record<string, unknown>>(
        db,
        `SELECT "TKT-Ticket ID" AS id, "TKT-Title" AS title, "TKT-Description" AS description, "TKT-Team" AS team,
                "TKT-Created Time" IS NULL AS created_null, "TKT-Parent ID" AS parent,
                to_char("TKT-Modified Time" AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS modified, _raw ? '__proto__' AS proto
         FROM servicedesk.tickets WHERE "TKT-Ticket ID" BETWEEN 101 AND 106 ORDER BY 1`,
      );
      assert.deepEqual(
        stored.map((r) => Number(r.id)),
        [101, 102, 103, 106],
      );
      assert.equal(stored[0]!.title, "'; DROP TABLE servicedesk.tickets; --");
      assert.equal(stored[0]!.description, 'nul\ufffd and \ufffd lone');
      assert.deepEqual([stored[1]!.team, stored[1]!.created_null, stored[1]!.parent], [null, true, null]);
      assert.equal(stored[2]!.modified, null, 'a modified time in 9999 is implausible: a value error, never the cursor');
      assert.equal(stored[3]!.proto, true, 'a field named __proto__ is kept in _raw');

      const rejects = await rows<{ kind: string; field: string | null; reason: string; has_json: boolean; raw_text: string | null }>(
        db,
        `SELECT kind, field, reason, raw_record IS NOT NULL AS has_json, raw_text FROM servicedesk.load_rejects
         WHERE run_id = $1 ORDER BY position, field NULLS FIRST`,
        [runId],
      );
      const summary = rejects.map((r) => `${r.kind} ${r.field ?? '-'} ${r.has_json ? 'json' : r.raw_text ? 'text' : 'none'}`);
      assert.deepEqual(summary, [
        'value - text', // NUL and a lone surrogate: stored with U+FFFD, the original kept as escaped text
        'value TKT-Created Time json',
        'value TKT-Parent ID json',
        'value TKT-Team json',
        'value - text', // the NUL in a field name
        'value TKT-Created Time text', // 01/01/0001 in Perth is still year 0 in UTC
        'value TKT-Modified Time text', // more than a day in the future
        'record - text', // nested 10,000 levels deep
        'record TKT-Ticket ID json',
      ]);
      assert.match(rejects[0]!.raw_text!, /nul\\u0000 and \\ud800 lone/);
      assert.match(rejects.find((r) => r.field === 'TKT-Team')!.reason, /more than the 2000 an indexed column takes/);
      assert.match(rejects[7]!.reason, /nested more than 64 levels/);
    });
  });
}
