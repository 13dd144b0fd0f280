import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VIEWS } from '../../src/registry.js';
import { detectDelimiter } from '../../src/source/csv-rows.js';
import { headerNames, plainCell, rebase1904Serial, RowRecords, wallClockText } from '../../src/transform/cells.js';
import { describeHeaders, detectView } from '../../src/transform/detect-view.js';

const apiNames = (view: string) => VIEWS.find((v) => v.name === view)!.fields.map((f) => f.api);

describe("telling an export's view from its headers", () => {
  test('each view is recognised from its current field names', () => {
    for (const view of VIEWS) assert.equal(detectView(apiNames(view.name))?.name, view.name);
  });

  test('the older CT-* comment headers are recognised as comments', () => {
    assert.equal(detectView(['CT-COMMENT-ID', 'CT-TKT-ID', 'CT-COMMENT', 'CT-DATEAMDTIME'])?.name, 'comments');
  });

  test('a few columns are enough when the key columns are there', () => {
    assert.equal(detectView(['TKT-Ticket ID', 'TKT-Title'])?.name, 'tickets');
    assert.equal(detectView(['TS-User Username', 'TS-Date', 'TS-Time From', 'TS-Crm ID'])?.name, 'timesheets');
  });

  test('a file without the key columns of any view is not guessed at', () => {
    assert.equal(detectView(['Name', 'Hours']), null);
    assert.equal(detectView(['TS-User Username', 'TS-Date', 'TS-Hours']), null);
    assert.equal(detectView([]), null);
  });

  test('a file with the key columns of two views goes to the one that knows more of its headers', () => {
    assert.equal(detectView(['TKT-Ticket ID', 'TKTCT-CommentID', 'TKTCT-Comment', 'TKTCT-Username'])?.name, 'comments');
    assert.equal(detectView(['TKT-Ticket ID', 'TKTCT-CommentID']), null);
  });

  test('the headers shown in an error are quoted and cut short', () => {
    assert.equal(describeHeaders(['a', 'b']), 'headers "a", "b"');
    assert.match(describeHeaders(Array.from({ length: 20 }, (_, i) => `h${i}`)), /"h11" and 8 more$/);
    assert.equal(describeHeaders([]), 'no headers');
  });
});

describe('spreadsheet cells as record values', () => {
  test('a date cell becomes naive wall-clock text, not a UTC instant', () => {
    assert.equal(wallClockText(new Date(Date.UTC(2025, 0, 7, 9, 5)), false), '2025-01-07 09:05:00');
    assert.equal(wallClockText(new Date(Date.UTC(2025, 0, 7)), false), '2025-01-07');
    assert.equal(wallClockText(new Date(Date.UTC(2025, 0, 7, 9, 5, 1, 250)), false), '2025-01-07 09:05:01.250');
  });

  test('a time-only cell becomes a time of day in either date system', () => {
    assert.equal(wallClockText(new Date(Date.UTC(1899, 11, 30, 9, 0)), false), '09:00:00');
    assert.equal(wallClockText(new Date(Date.UTC(1904, 0, 1, 17, 30)), true), '17:30:00');
    // 1 January 1904 is a real date in a 1900-system workbook.
    assert.equal(wallClockText(new Date(Date.UTC(1904, 0, 1, 17, 30)), false), '1904-01-01 17:30:00');
  });

  test('rich text, formulas, hyperlinks and error cells become their text; empty cells become empty strings', () => {
    assert.equal(plainCell({ richText: [{ text: 'Dana ' }, { text: 'Jewell' }] }, false), 'Dana Jewell');
    assert.equal(plainCell({ formula: 'A1*2', result: 5 }, false), 5);
    assert.equal(plainCell({ text: 'INC-1', hyperlink: 'https://x' }, false), 'INC-1');
    assert.equal(plainCell({ error: '#N/A' }, false), '#N/A');
    assert.equal(plainCell(undefined, false), '');
    assert.equal(plainCell(null, false), '');
    assert.equal(plainCell(true, false), true);
    assert.equal(plainCell(2.5, false), 2.5);
  });

  test('a 1904-system serial moves to the same day in the 1900 system; other values are left alone', () => {
    assert.equal(rebase1904Serial(44202.5), 45664.5);
    assert.equal(rebase1904Serial(' 44202 '), 45664);
    assert.equal(rebase1904Serial('07/01/2025'), '07/01/2025');
    assert.equal(rebase1904Serial(''), '');
  });

  test('rows become records keyed by the trimmed headers; blank rows and unnamed columns are skipped', () => {
    const headers = headerNames(['\uFEFFTKT-Ticket ID', ' TKT-Title ', '', 'TKT-Created Time']);
    assert.deepEqual(headers, ['TKT-Ticket ID', 'TKT-Title', null, 'TKT-Created Time']);
    const records = new RowRecords(headers, { date1904: true, rebase1904Columns: new Set([3]) });
    assert.deepEqual(records.record([1, 'Disk full', 'ignored', 44202]), {
      'TKT-Ticket ID': 1,
      'TKT-Title': 'Disk full',
      'TKT-Created Time': 45664,
    });
    assert.deepEqual(records.record([2]), { 'TKT-Ticket ID': 2, 'TKT-Title': '', 'TKT-Created Time': '' });
    assert.equal(records.record([null, ' ', 'only in an unnamed column']), null);
  });
});

describe('the CSV delimiter', () => {
  test('semicolons win when the header line has more of them than commas', () => {
    assert.equal(detectDelimiter('TS-User Username;TS-Date;TS-Hours'), ';');
    assert.equal(detectDelimiter('TKT-Ticket ID,TKT-Title'), ',');
    assert.equal(detectDelimiter('"a;b",c'), ',');
    assert.equal(detectDelimiter('single'), ',');
  });
});
