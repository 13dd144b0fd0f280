/**
 * A database read for an endpoint: fresh when the database answers in time, else the last good value.
 * The embedded database is one connection, and a view's load holds it in a transaction for as long as
 * the load takes; a health check must not hang behind it. Concurrent requests share one read, so
 * scrapes do not pile up behind a long transaction. A read that fails (database unreachable) is an
 * error, never hidden behind an old value.
 */

export interface Reading<T> {
  readonly value: T;
  /** When the value was read. */
  readonly at: Date;
  /** False when the read took too long and the last good value is shown. */
  readonly fresh: boolean;
}

const TIMED_OUT = Symbol('timed out');

export class FreshOrLast<T> {
  private last: { value: T; at: Date } | null = null;
  private inFlight: Promise<T> | null = null;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly deadlineMs: number,
  ) {}

  async get(): Promise<Reading<T>> {
    const reading = (this.inFlight ??= this.start());
    if (this.last === null) {
      const value = await reading;
      return { value, at: this.last!.at, fresh: true };
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), this.deadlineMs);
    });
    try {
      const result = await Promise.race([reading, deadline]);
      if (result === TIMED_OUT) return { ...this.last, fresh: false };
      return { value: result, at: this.last.at, fresh: true };
    } finally {
      clearTimeout(timer);
    }
  }

  private start(): Promise<T> {
    const reading = this.read()
      .then((value) => {
        this.last = { value, at: new Date() };
        return value;
      })
      .finally(() => {
        this.inFlight = null;
      });
    // A read that fails after its requests gave up waiting must not become an unhandled rejection.
    reading.catch(() => undefined);
    return reading;
  }
}
