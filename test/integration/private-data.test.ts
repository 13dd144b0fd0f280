import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { errorMessage } from '../../src/pipeline/load-view.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';

const SECRET = 'Customer Jane Citizen, card 4111';

async function failure(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  assert.fail('expected the statement to fail');
}

for (const kind of DATABASE_KINDS) {
  describe(`private data in errors on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;

    before(async () => {
      tdb = await createTestDatabase(kind);
      db = await tdb.open();
    });
    after(async () => {
      await db.close();
      await tdb.drop();
    });

    test('a database error that would quote a value is reported by its SQLSTATE and column only', async () => {
      const cast = errorMessage(await failure(() => db.query('SELECT $1::bigint', [SECRET])));
      assert.ok(!cast.includes('Jane'), cast);
      assert.match(cast, /SQLSTATE 22P02/);

      const copy = errorMessage(
        await failure(() =>
          db.transaction(async (tx) => {
            await tx.exec('CREATE TEMP TABLE otc_probe ("TS-Hours" numeric) ON COMMIT DROP');
            await tx.copyLines('otc_probe', ['TS-Hours'], [`${SECRET}\n`]);
          }),
        ),
      );
      assert.ok(!copy.includes('Jane'), copy);
      assert.match(copy, /column "TS-Hours".*SQLSTATE 22P02/);
    });

    test('a database error about objects keeps its message, which says what to fix', async () => {
      const missing = errorMessage(await failure(() => db.query('SELECT * FROM servicedesk.no_such_table')));
      assert.match(missing, /no_such_table.*SQLSTATE 42P01/);
    });
  });
}
