/**
 * What every command shares: the configuration, the logger, stdout output (exactly one JSON document
 * with --json, also on failure) and the mapping of outcomes to exit codes.
 */
import { ConfigError, EXIT, OtcEtlError, type ExitCode } from '../errors.js';
import { loadConfig, type Config, type EnvInput } from '../config.js';
import { createLogger, registerSecret, scrub, type Logger, type LogFormat } from '../log.js';
import { sqlState, SQLSTATE, type Db } from '../load/db.js';
import { isDatabaseError, safeDatabaseMessage } from '../load/db-errors.js';
import type { OpenDbOptions } from '../load/open-db.js';
import { dbOpenerOf, type CliIo } from './io.js';

export interface CommonFlags {
  json?: boolean;
  logFormat?: string;
  logLevel?: string;
}

export interface Runtime {
  readonly config: Config;
  readonly log: Logger;
  readonly json: boolean;
  /** The environment, directory, streams and database opener the command runs with. */
  readonly io: CliIo;
  /** Prints the command's result: the JSON document with --json, else the human text. */
  print(doc: unknown, human: () => string): void;
}

function logFormatOf(flags: CommonFlags): LogFormat {
  if (flags.logFormat === undefined || flags.logFormat === 'text') return 'text';
  if (flags.logFormat === 'json') return 'json';
  throw new ConfigError(`--log-format must be text or json, not ${flags.logFormat}`);
}

/**
 * Runs a command body and returns its exit code. Expected failures (configuration, lock, database
 * unreachable) print one clear line — or one JSON document — never a stack trace.
 */
export async function runCommand(
  io: CliIo,
  flags: CommonFlags,
  body: (rt: Runtime) => Promise<ExitCode>,
  overrides: EnvInput = {},
): Promise<ExitCode> {
  const json = flags.json === true;
  let log: Logger | null = null;
  try {
    log = createLogger({ format: logFormatOf(flags), level: flags.logLevel, destination: io.stderr });
    const config = loadConfig({ env: io.env, cwd: io.cwd, overrides });
    registerSecret(config.password, config.username);
    registerSecret(config.databasePassword);
    for (const warning of config.warnings) log.warn(warning);
    const rt: Runtime = {
      config,
      log,
      json,
      io,
      print: (doc, human) => {
        io.stdout.write(json ? `${JSON.stringify(doc)}\n` : `${human()}\n`);
      },
    };
    return await body(rt);
  } catch (error) {
    return reportFailure(io, error, json, log);
  }
}

export function reportFailure(io: CliIo, error: unknown, json: boolean, log: Logger | null): ExitCode {
  if (isDatabaseError(error) && sqlState(error) === SQLSTATE.insufficientPrivilege) {
    // A role set up without a privilege the command needs: a configuration problem, not a bug.
    const hint = 'the database role lacks a privilege this command needs; see docs/roles.sql for the owner, loader and analyst roles';
    return reportFailure(io, new ConfigError(`${safeDatabaseMessage(error)}: ${hint}`), json, log);
  }
  const expected = error instanceof OtcEtlError;
  const exitCode = expected ? error.exitCode : EXIT.failed;
  const message = scrub(isDatabaseError(error) ? safeDatabaseMessage(error) : error instanceof Error ? error.message : String(error));
  if (json) io.stdout.write(`${JSON.stringify({ error: message, exitCode })}\n`);
  if (expected) {
    io.stderr.write(`otc-etl: ${message}\n`);
  } else {
    // An unexpected error is a bug: keep the stack (scrubbed) for the report.
    // The stack's first line repeats the message, which for a database error may quote a value.
    const frames = error instanceof Error && error.stack ? error.stack.split('\n').filter((line) => /^\s+at /.test(line)) : [];
    const stack = scrub([message, ...frames].join('\n'));
    if (log) log.error({ err: stack }, 'unexpected error');
    else io.stderr.write(`otc-etl: ${stack}\n`);
  }
  return exitCode;
}

/**
 * Opens the command's database (`rt.config`'s, through the opener `rt.io` carries) for the duration of
 * `fn`; one pool serves the whole command.
 */
export async function withDb<T>(rt: Pick<Runtime, 'config' | 'io'>, fn: (db: Db) => Promise<T>, options: OpenDbOptions = {}): Promise<T> {
  const db = await dbOpenerOf(rt.io)(rt.config, options);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
