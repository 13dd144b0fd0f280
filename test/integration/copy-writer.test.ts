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

    test('writes of more bytes than may be on their way at once all arrive', async () => {
      // 40 writes of a megabyte: more than the server's COPY lets travel unawaited.
      const line = (n: number) => `${n}\t${'y'.repeat(1000)}\n`;
      const perWrite = 1000;
      const writes = 40;
      const counts = await db.transaction(async (tx) => {
        await tx.exec('CREATE TEMP TABLE otc_copy_big (n int, t text) ON COMMIT DROP');
        const copy = tx.beginCopy('otc_copy_big', ['n', 't']);
        for (let w = 0; w < writes; w++) {
          const lines = new LineBytes(perWrite);
          for (let i = 0; i < perWrite; i++) lines.add(line(w * perWrite + i));
          await copy.write(lines.bytes());
        }
        await copy.finish();
        const { rows } = await tx.query<{ n: number; sum: string }>('SELECT count(*)::int AS n, sum(n)::text AS sum FROM otc_copy_big');
        return rows[0]!;
      });
      const all = writes * perWrite;
      assert.deepEqual(counts, { n: all, sum: String((all * (all - 1)) / 2) });
    });

    test('a line the database refuses fails the COPY, however many writes follow it, and nothing of it stays', async () => {
      await db.exec('CREATE TABLE otc_copy_refused (n int, t text)');
      const failure = await db
        .transaction(async (tx) => {
          const copy = tx.beginCopy('otc_copy_refused', ['n', 't']);
          await copy.write('1\tfine\nnot a number\tbad\n');
          for (let w = 0; w < 50; w++) await copy.write(`${'2\tmore\n'.repeat(20_000)}`);
          await copy.finish();
        })
        .then(
          () => null,
          (error: unknown) => error,
        );
      assert.match(String((failure as Error | null)?.message), /invalid input syntax for type integer: "not a number"/);
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM otc_copy_refused');
      assert.equal(rows[0]!.n, 0);
      await db.exec('DROP TABLE otc_copy_refused');
    });
  });
}
