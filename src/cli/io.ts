/**
 * Everything the command line takes from the process it runs in: the environment, the working
 * directory, where its output goes, where stop signals come from, and how the database is opened.
 * `bin/otc-etl.js` passes the real process; a test runs `main` in its own process with its own.
 */
import type { Config } from '../config.js';
import type { Db } from '../load/db.js';
import { openDb, type OpenDbOptions } from '../load/open-db.js';

/** Where text goes: `process.stdout` and `process.stderr` are ones; `isTTY` turns the progress lines on. */
export interface OutputStream {
  write(text: string, done?: (error?: Error | null) => void): unknown;
  readonly isTTY?: boolean;
}

/** Where SIGINT and SIGTERM come from (`process`), so a command can stop cleanly and remove its handlers. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export type DbOpener = (config: Config, options?: OpenDbOptions) => Promise<Db>;

export interface CliIo {
  /** The environment variables, as `process.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The directory relative paths (the `.env` file, `OTC_DATA_DIR`, imported files) start from. */
  readonly cwd: string;
  /** Results: one JSON document with --json, else the human text. */
  readonly stdout: OutputStream;
  /** Log lines, progress lines and failure messages. */
  readonly stderr: OutputStream;
  /** Stop signals; without it, a command runs until it is done. */
  readonly signals?: SignalSource;
  /** Ends the process at once (the second stop signal); without it, a second signal is only logged. */
  readonly exit?: (code: number) => void;
  /** Opens the database a command uses and closes when done; the default opens it from the configuration. */
  readonly openDb?: DbOpener;
}

/** The opener of `io`, or the one that chooses the database from the configuration. */
export function dbOpenerOf(io: CliIo): DbOpener {
  return io.openDb ?? openDb;
}
