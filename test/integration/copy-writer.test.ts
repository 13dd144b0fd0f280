import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COPY_IN_FLIGHT_BYTES, type Db } from '../../src/load/db.js';
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

    if (kind === 'server') {
      test('while the server is busy, a write waits only for the oldest write in flight, not for all of them', async () => {
        // The server stalls on the COPY's first row (its trigger waits for a lock another transaction
        // holds), so no byte is read from the socket until the lock is released. Writes of 64 KiB, to
        // a little more than what may be in flight: the last of them may go once the oldest has left
        // for the socket, which takes it while the server stalls. Were it kept until every write in
        // flight had left (they would be handed over as one), it would wait for the lock: the writes
        // would not finish before the fallback below released it, which only a failing test waits for.
        const KEY = 4242;
        const chunk = 64 << 10;
        const writes = COPY_IN_FLIGHT_BYTES / chunk + 4;
        await db.exec(`
          CREATE TABLE otc_copy_stalled (n int, t text);
          CREATE FUNCTION otc_copy_stall() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_advisory_xact_lock(${KEY}); RETURN NEW; END $$;
          CREATE TRIGGER otc_copy_stall BEFORE INSERT ON otc_copy_stalled FOR EACH ROW EXECUTE FUNCTION otc_copy_stall();`);
        let release!: () => void;
        const released = new Promise<void>((resolve) => {
          release = resolve;
        });
        let locked!: () => void;
        const lockHeld = new Promise<void>((resolve) => {
          locked = resolve;
        });
        const holder = db.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock($1)', [KEY]);
          locked();
          await released;
        });
        await lockHeld;
        let stalledTooLong = false;
        const fallback = setTimeout(() => {
          stalledTooLong = true;
          release();
        }, 10_000);
        const line = (n: number) => `${n}\t${'z'.repeat(chunk - String(n).length - 2)}\n`;
        try {
          const n = await db.transaction(async (tx) => {
            const copy = tx.beginCopy('otc_copy_stalled', ['n', 't']);
            for (let w = 0; w < writes; w++) await copy.write(line(w));
            release();
            await copy.finish();
            const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM otc_copy_stalled');
            return rows[0]!.n;
          });
          assert.equal(n, writes);
          assert.equal(stalledTooLong, false, 'the writes waited for the server to take everything in flight');
        } finally {
          clearTimeout(fallback);
          release();
          await holder;
          await db.exec('DROP TABLE otc_copy_stalled; DROP FUNCTION otc_copy_stall()');
        }
      });
    }

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
