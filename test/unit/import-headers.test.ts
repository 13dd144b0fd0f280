import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rejectsQuery } from '../../src/cli/rejects-query.js';
import { parseMaxRejectRate, rejectRateProblem, SMALL_FILE_RECORDS } from '../../src/pipeline/load-guards.js';
import { getView } from '../../src/registry.js';
import { detectView, knownHeaderCount } from '../../src/transform/detect-view.js';
import { canonicalHeaders, headerKey, RecordRenamer } from '../../src/transform/header-names.js';
import { HEADER_SEARCH_ROWS, HeaderSearch } from '../../src/transform/header-search.js';

describe('headers in any case and spacing', () => {
  test('case, surrounding spaces and runs of inner spaces do not matter', () => {
    assert.equal(headerKey('  TKTCT-Created \t Time '), headerKey('TKTCT-Created Time'));
    assert.equal(headerKey('tkt-ticket id'), headerKey('TKT-Ticket ID'));
    assert.equal(headerKey('TKT-Title\u00a0'), 'tkt-title');
  });

  test('odd spellings of API names and of the older aliases place a file in its view', () => {
    assert.equal(detectView(['tkt-ticket id', 'TKT-Title '])?.name, 'tickets');
    assert.equal(detectView(['ts-user username', 'TS-DATE', ' TS-Time  From', 'ts-crm id'])?.name, 'timesheets');
    assert.equal(detectView(['ct-comment-id', 'CT-TKT-ID ', 'ct-comment'])?.name, 'comments');
    assert.equal(knownHeaderCount(getView('comments'), ['TKTCT-Created  Time', 'tktct-team', 'Something else']), 2);
  });

  test('columns map to the API names under the same rule; unknown headers keep their own name, and a second column of a field keeps its header', () => {
    const names = canonicalHeaders(getView('comments'), ['ct-comment-id', ' TKTCT-Created  Time', null, 'Support Tier', 'TKTCT-CommentID']);
    assert.deepEqual(names, ['TKTCT-CommentID', 'TKTCT-Created Time', null, 'Support Tier', 'TKTCT-CommentID']);
    const renamer = new RecordRenamer(getView('tickets'));
    const exact = { 'TKT-Ticket ID': 1 };
    assert.equal(renamer.rename(exact), exact);
    assert.deepEqual(
      { ...(renamer.rename({ 'tkt-ticket id': 1, 'TKT-Title ': 'x', Extra: 2 }) as object) },
      { 'TKT-Ticket ID': 1, 'TKT-Title': 'x', Extra: 2 },
    );
  });
});

describe('finding the header row', () => {
  const names = (...cells: Array<string | null>) => cells;

  test('title and blank rows above the header are passed over; the header is the first row that places the file', () => {
    const search = new HeaderSearch();
    assert.equal(search.offer(names('Tickets report')), null);
    assert.equal(search.offer(names(null, null)), null);
    assert.equal(search.offer(names('Exported 07/01/2025', null, null)), null);
    assert.equal(search.offer(names('TKT-Ticket ID', 'TKT-Title'))?.name, 'tickets');
  });

  test('what a file holds when no row places it: nothing, title lines only, or rows under unknown headers', () => {
    assert.deepEqual(new HeaderSearch().verdict(), { kind: 'blank' });
    const titles = new HeaderSearch();
    titles.offer(names('Tickets report'));
    titles.offer(names(null, 'Exported today'));
    assert.deepEqual(titles.verdict(), { kind: 'titles', rows: 2 });
    const unknown = new HeaderSearch();
    unknown.offer(names('Tickets report'));
    unknown.offer(names('Name', 'Hours'));
    assert.deepEqual(unknown.verdict(), { kind: 'unknown', headers: ['Name', 'Hours'] });
  });

  test('with --view the header is the first row naming one of its fields, and the search gives up after a bounded number of rows', () => {
    const search = new HeaderSearch(getView('timesheets'));
    assert.equal(search.offer(names('Time report')), null);
    assert.equal(search.offer(names('ts-user username', 'TS-Hours'))?.name, 'timesheets');
    const long = new HeaderSearch();
    for (let i = 0; i < HEADER_SEARCH_ROWS; i++) long.offer(names(`line ${i}`));
    assert.equal(long.exhausted, true);
    assert.equal(long.verdict().kind, 'unknown');
  });
});

describe('when rejects fail a load', () => {
  test('a view or a large file fails above the rate; a small export file only when every record is rejected', () => {
    assert.equal(rejectRateProblem('tickets', 0.05, { fetched: 100, rejected: 5 }, false), null);
    assert.match(rejectRateProblem('tickets', 0.05, { fetched: 100, rejected: 6 }, false) ?? '', /6 of 100 records rejected/);
    assert.match(rejectRateProblem('tickets', 0.05, { fetched: SMALL_FILE_RECORDS, rejected: 2 }, true) ?? '', /--max-reject-rate/);
    assert.equal(rejectRateProblem('tickets', 0.05, { fetched: 4, rejected: 1 }, true), null);
    assert.equal(rejectRateProblem('tickets', 0.05, { fetched: 4, rejected: 3 }, true), null);
    assert.match(rejectRateProblem('tickets', 0.05, { fetched: 4, rejected: 4 }, true) ?? '', /all 4 records rejected/);
    // A sync's view keeps the rate whatever its size.
    assert.notEqual(rejectRateProblem('tickets', 0.05, { fetched: 4, rejected: 1 }, false), null);
    assert.equal(rejectRateProblem('tickets', 1, { fetched: 4, rejected: 4 }, true), null);
  });

  test('--max-reject-rate takes a share from 0 to 1', () => {
    assert.equal(parseMaxRejectRate('0.2'), 0.2);
    assert.equal(parseMaxRejectRate('1'), 1);
    assert.equal(parseMaxRejectRate('0'), 0);
    for (const bad of ['1.5', '-0.1', 'abc', '', '5%'])
      assert.match(String(parseMaxRejectRate(bad)), /--max-reject-rate must be a share from 0 to 1/);
  });

  test("the query that lists a run's rejects names the configured schema, quoted only when it must be", () => {
    assert.equal(
      rejectsQuery('servicedesk', 'abc'),
      "SELECT source, position, record_key, kind, reason FROM servicedesk.load_rejects WHERE run_id = 'abc' ORDER BY source, position;",
    );
    assert.match(rejectsQuery('user', 'abc'), /FROM "user"\.load_rejects/);
  });
});
