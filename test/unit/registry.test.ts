import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allViewsText, guidVariable, registerView, VIEW_NAMES, VIEWS, viewNamesText } from '../../src/registry.js';

test('the three views are registered in full-sync order', () => {
  assert.deepEqual(VIEW_NAMES, ['comments', 'timesheets', 'tickets']);
  assert.deepEqual(
    VIEWS.map((v) => v.name),
    VIEW_NAMES,
  );
});

test('the texts made from the registry read as they always have for the three views', () => {
  assert.equal(`${viewNamesText('and/or')} (default ${allViewsText()})`, 'comments, timesheets and/or tickets (default all three)');
  assert.equal(viewNamesText('or'), 'comments, timesheets or tickets');
  assert.deepEqual(VIEW_NAMES.map(guidVariable), ['OTC_VIEW_GUID_COMMENTS', 'OTC_VIEW_GUID_TIMESHEETS', 'OTC_VIEW_GUID_TICKETS']);
});

test('an entry that repeats a view, or names a column no field has, is refused with the reason', () => {
  const tickets = VIEWS.find((v) => v.name === 'tickets')!;
  assert.throws(() => registerView(tickets), /its name is taken; its GUID is the tickets view's; its table is the tickets view's/);
  assert.throws(
    () => registerView({ ...tickets, name: 'tickets_copy', guid: 'other', table: 'tickets_copy', indexed: ['TKT-Nothing'] }),
    /names column TKT-Nothing, which none of its fields has; history is kept only for tickets/,
  );
  assert.deepEqual(VIEW_NAMES, ['comments', 'timesheets', 'tickets']);
});
