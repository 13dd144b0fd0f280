/**
 * The closed error hierarchy. The class says whether retrying can help (`transient`) and which exit
 * code the CLI maps it to; the message says what the user should do next. Bad records are not errors
 * (parsing returns rejects); these are for I/O and configuration.
 */

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  locked: 3,
  database: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface ErrorFields {
  view?: string;
  status?: number;
  runId?: string;
  cause?: unknown;
}

export abstract class OtcEtlError extends Error {
  /** Whether trying the same thing again later can succeed. */
  abstract readonly transient: boolean;
  abstract readonly exitCode: ExitCode;
  readonly view?: string;
  readonly status?: number;
  readonly runId?: string;

  constructor(message: string, fields: ErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = new.target.name;
    this.view = fields.view;
    this.status = fields.status;
    this.runId = fields.runId;
  }
}

/** A bad flag, argument or environment variable. */
export class ConfigError extends OtcEtlError {
  readonly transient = false;
  readonly exitCode = EXIT.usage;
}

/** Another sync, import or migrate holds the database, or another process has the embedded database open. */
export class LockHeldError extends OtcEtlError {
  readonly transient = true;
  readonly exitCode = EXIT.locked;
}

/** The database cannot be reached. */
export class DatabaseUnavailableError extends OtcEtlError {
  readonly transient = true;
  readonly exitCode = EXIT.database;
}

/** The schema is legacy, half-migrated or older than this version: run `otc-etl migrate`. */
export class MigrationRequiredError extends OtcEtlError {
  readonly transient = false;
  readonly exitCode = EXIT.database;
}

/** The source could not be reached or answered with an error status. */
export class SourceError extends OtcEtlError {
  readonly exitCode = EXIT.failed;
  readonly transient: boolean;
  constructor(message: string, fields: ErrorFields & { transient: boolean }) {
    super(message, fields);
    this.transient = fields.transient;
  }
}

/** The circuit breaker is open: no request is sent until it cools down. */
export class BreakerOpenError extends OtcEtlError {
  readonly transient = true;
  readonly exitCode = EXIT.failed;
  readonly retryAfterMs: number;
  constructor(message: string, fields: ErrorFields & { retryAfterMs: number }) {
    super(message, fields);
    this.retryAfterMs = fields.retryAfterMs;
  }
}

/** The source answered, but the body is not a record list we understand (format change, cut-off body). */
export class SourceDataError extends OtcEtlError {
  readonly transient = false;
  readonly exitCode = EXIT.failed;
}

/** A view's load was refused by a guard (reject rate, volume) and rolled back. */
export class LoadRefusedError extends OtcEtlError {
  readonly transient = false;
  readonly exitCode = EXIT.failed;
}

/** The run was stopped by a signal; the view in progress was rolled back. */
export class CancelledError extends OtcEtlError {
  readonly transient = false;
  readonly exitCode = EXIT.failed;
}

/**
 * A statement waited longer than OTC_DB_LOCK_TIMEOUT_MS for a table lock another session holds. Keeps
 * the server's SQLSTATE (55P03) as `code`, so callers that match the code still recognise it.
 */
export class LockTimeoutError extends OtcEtlError {
  readonly transient = true;
  readonly exitCode = EXIT.failed;
  readonly code = '55P03';
}
