import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { LineBytes } from '../../src/load/copy-format.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { useTestDatabase } from '../support/harness.js';

/** Writes of many small batches, some as text and some as bytes, more than one COPY statement's worth in all. */
const WRITES = 24;
const LINES_PER_WRITE = 500;
const FILLER = 'x'.repeat(500);

for (const kind of DATABASE_KINDS) {
  describe(`a COPY of many writes on the ${kind} database`, () => {
    let db: Db;
    useTestDatabase(kind, (opened) => {
      db = opened;
    });

    test('every line of every write is in the table once the COPY finishes, and a COPY without writes adds none', async () => {
      const counts = await db.transaction(async (tx) => {
        await tx.exec('CREATE TEMP TABLE otc_copy_probe (n int, t text) ON COMMIT DROP');
        const empty = tx.beginCopy('otc_copy_probe', ['n', 't']);
        await empty.finish();
        const copy = tx.beginCopy('otc_copy_probe', ['n', 't']);
        for (let w = 0; w < WRITES; w++) {
          const lines = new LineBytes(LINES_PER_WRITE);
          let text = '';
          for (let i = 0; i < LINES_PER_WRITE; i++) {
            const line = `${w * LINES_PER_WRITE + i}\t${FILLER}\\t${w}\n`;
            if (w % 2 === 0) lines.add(line);
            else text += line;
          }
          await copy.write(w % 2 === 0 ? lines.bytes() : text);
        }
        await copy.finish();
        const { rows } = await tx.query<{ n: number; distinct: number; lo: number; hi: number; bad: number }>(
          `SELECT count(*)::int AS n, count(DISTINCT n)::int AS distinct, min(n) AS lo, max(n) AS hi,
                  count(*) FILTER (WHERE t <> $1 || E'\\t' || (n / ${LINES_PER_WRITE})::text)::int AS bad
           FROM otc_copy_probe`,
          [FILLER],
        );
        return rows[0]!;
      });
      const all = WRITES * LINES_PER_WRITE;
      assert.deepEqual(counts, { n: all, distinct: all, lo: 0, hi: all - 1, bad: 0 });
    });
  });
}
