/**
 * The only reader of `process.env`. Every variable is validated once, all problems are listed in one
 * message, and the result is a frozen object handed down to everything else.
 * Precedence: command-line flag > process environment > `.env` in the working directory > default.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDatabaseUrl, withoutPassword } from './database-url.js';
import { ConfigError } from './errors.js';
import { guidVariable, VIEWS, type ViewName, type ViewSpec } from './registry.js';
import { zoneNamed } from './transform/timezone.js';

/** Protections for the fragile source: pacing, retries, the circuit breaker. All durations in milliseconds. */
export interface SourcePolicy {
  /** Minimum gap between two requests. Default 5000. */
  readonly minIntervalMs: number;
  /** Most requests in any rolling hour; the client waits rather than fails. Default 100. */
  readonly maxRequestsPerHour: number;
  /** Time allowed for one request, body included. Default 120000. */
  readonly timeoutMs: number;
  /** Retries after the first attempt for 5xx, timeouts and dropped connections. Default 3. */
  readonly maxRetries: number;
  /** First backoff delay; doubles each retry. Default 10000. */
  readonly backoffInitialMs: number;
  /** Largest backoff delay. Default 300000. */
  readonly backoffMaxMs: number;
  /** Largest wait honoured from a 429's Retry-After. Default 300000. */
  readonly retryAfterMaxMs: number;
  /** Consecutive failed attempts that open the circuit breaker. Default 3. */
  readonly breakerThreshold: number;
  /** How long an open breaker blocks every attempt. Default 600000. */
  readonly breakerCooldownMs: number;
  /** Successes needed in half-open state to close the breaker. Default 2. */
  readonly breakerHalfOpenSuccesses: number;
  /** Pause between views in a full sync. Default 30000. */
  readonly viewGapMs: number;
}

export interface Config {
  /** PostgreSQL URL, or null for the embedded database (or the server named by PG* variables). */
  readonly databaseUrl: string | null;
  /** True when no DATABASE_URL but PGHOST is set: connect with the standard PG* variables. */
  readonly usePgEnv: boolean;
  /** Where the embedded database lives. Default ./.otc-etl */
  readonly dataDir: string;
  /** Target schema. Default servicedesk */
  readonly schema: string;
  readonly viewGuids: Readonly<Record<ViewName, string>>;
  /** Source endpoint. */
  readonly baseUrl: string;
  readonly username: string;
  /** Source password; required only by commands that call the source. Never logged. */
  readonly password: string | null;
  /**
   * The database password, if the configuration holds one (in DATABASE_URL, as user:password@ or
   * ?password=, or PGPASSWORD). Only so it can be kept out of every log line and message.
   */
  readonly databasePassword: string | null;
  /** Zone of naive source timestamps. Default Australia/Perth */
  readonly timezone: string;
  /** Share of rejected records above which a view's load fails. Default 0.05 */
  readonly maxRejectRate: number;
  /** A payload smaller than this share of the last successful fetch fails the view. Default 0.5 */
  readonly minVolumeRatio: number;
  readonly source: SourcePolicy;
  /**
   * Days to keep `load_rejects` rows and old `etl_metadata` rows (the latest successful run of each
   * view is always kept); applied at the end of each sync. 0 keeps everything. Default 400.
   */
  readonly retentionDays: number;
  /**
   * Longest wait of any statement of a run for a table lock, ms; the view then fails naming the table
   * (and the blocking session where the server tells). Default 60000.
   */
  readonly dbLockTimeoutMs: number;
  /** A record larger than this many bytes is rejected on its own, never parsed. Default 16777216 (16 MiB). */
  readonly maxRecordBytes: number;
  /** A body larger than this many decoded bytes fails the view. Default 2147483648 (2 GiB). */
  readonly maxBodyBytes: number;
  /**
   * Days to keep superseded ticket versions in `ticket_history` (by when they stopped being in force);
   * applied at the end of each sync. The current version is always kept. 0 keeps everything. Default 0.
   */
  readonly historyDays: number;
  /** Where `.env` was read from, if it was. */
  readonly envFile: string | null;
  /** Warnings found while reading the configuration (e.g. a world-readable .env). */
  readonly warnings: readonly string[];
}

export const DEFAULT_BASE_URL = 'https://webhook.orro.support/OTC/Data/View/data';
export const DEFAULT_USERNAME = 'CloudTicket-Sync';

/** Basic auth over plain HTTP hands the password to anyone on the path. */
export const PLAIN_HTTP_WARNING =
  'OTC_BASE_URL is plain http:// and OTC_PASSWORD is set: the password travels unencrypted (Basic auth); use https://';

/** A variable's value that breaks its rule: what is wrong, said to the operator. */
class Invalid extends Error {}

/** Reads one variable's text (undefined when unset) to its value; throws `Invalid` when it breaks the rule. */
type Rule<T> = (text: string | undefined) => T;

function present(text: string | undefined): string | undefined {
  if (text === '') throw new Invalid('must not be empty');
  return text;
}

const optional: Rule<string | undefined> = present;
const withDefault =
  (fallback: string, check?: (text: string) => void): Rule<string> =>
  (text) => {
    const value = present(text) ?? fallback;
    check?.(value);
    return value;
  };

function numberOf(text: string): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw new Invalid('must be a number');
  return value;
}

/** A share from 0 to 1. */
const share =
  (fallback: number): Rule<number> =>
  (text) => {
    const given = present(text);
    const value = given === undefined ? fallback : numberOf(given);
    if (value < 0 || value > 1) throw new Invalid('must be a number from 0 to 1');
    return value;
  };

/** A whole number from `min` (to `max`). */
const int =
  (min: number, fallback: number, max = Number.MAX_SAFE_INTEGER): Rule<number> =>
  (text) => {
    const given = present(text);
    if (given === undefined) return fallback;
    const value = numberOf(given);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new Invalid(
        max === Number.MAX_SAFE_INTEGER ? `must be a whole number of at least ${min}` : `must be a whole number from ${min} to ${max}`,
      );
    }
    return value;
  };

const databaseUrl: Rule<string | undefined> = (text) => {
  const given = present(text);
  if (given === undefined) return undefined;
  const parsed = parseDatabaseUrl(given);
  if (!parsed.ok) throw new Invalid(parsed.message);
  return parsed.url;
};

function httpUrl(text: string): void {
  let protocol: string;
  try {
    protocol = new URL(text).protocol;
  } catch {
    throw new Invalid('must be an http:// or https:// URL');
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new Invalid('must be an http:// or https:// URL');
}

function sqlIdentifier(text: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(text)) throw new Invalid('must be a lower-case SQL identifier');
}

/** A zone Intl knows: the very `Zone` every load then reads its values in (see `zoneNamed`). */
function knownZone(text: string): void {
  try {
    zoneNamed(text);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new Invalid('must be an IANA time zone such as Australia/Perth');
  }
}

/** Environment variable → rule, with defaults: the variables before the views' GUID overrides. */
const RULES_HEAD = {
  DATABASE_URL: databaseUrl,
  PGHOST: optional,
  PGPASSWORD: optional,
  OTC_DATA_DIR: withDefault('./.otc-etl'),
  OTC_SCHEMA: withDefault('servicedesk', sqlIdentifier),
};

/** The variables after the views' GUID overrides. */
const RULES_TAIL = {
  OTC_BASE_URL: withDefault(DEFAULT_BASE_URL, httpUrl),
  OTC_USERNAME: withDefault(DEFAULT_USERNAME),
  OTC_PASSWORD: optional,
  OTC_TIMEZONE: withDefault('Australia/Perth', knownZone),
  OTC_MAX_REJECT_RATE: share(0.05),
  OTC_MIN_VOLUME_RATIO: share(0.5),
  OTC_MIN_INTERVAL_MS: int(0, 5_000),
  OTC_MAX_REQUESTS_PER_HOUR: int(1, 100),
  OTC_TIMEOUT_MS: int(1, 120_000),
  OTC_MAX_RETRIES: int(0, 3),
  OTC_BACKOFF_INITIAL_MS: int(0, 10_000),
  OTC_BACKOFF_MAX_MS: int(0, 300_000),
  OTC_RETRY_AFTER_MAX_MS: int(0, 300_000),
  OTC_BREAKER_THRESHOLD: int(1, 3),
  OTC_BREAKER_COOLDOWN_MS: int(0, 600_000),
  OTC_BREAKER_HALF_OPEN_SUCCESSES: int(1, 2),
  OTC_VIEW_GAP_MS: int(0, 30_000),
  OTC_RETENTION_DAYS: int(0, 400),
  OTC_HISTORY_DAYS: int(0, 0),
  OTC_DB_LOCK_TIMEOUT_MS: int(1, 60_000),
  // At least one KiB: a smaller cap would reject every real record.
  OTC_MAX_RECORD_BYTES: int(1024, 16 << 20, 512 << 20),
  OTC_MAX_BODY_BYTES: int(1, 2 ** 31),
};

type Rules = typeof RULES_HEAD & typeof RULES_TAIL;
type EnvValues = { [K in keyof Rules]: ReturnType<Rules[K]> };

/**
 * Every variable's rule, with one optional GUID override per view of the registry
 * (`OTC_VIEW_GUID_<NAME>`), built when the configuration is read so that every registered view has its
 * variable.
 */
function envRules(): Record<string, Rule<unknown>> {
  const guids = Object.fromEntries(VIEWS.map((v) => [guidVariable(v.name), optional]));
  return { ...RULES_HEAD, ...guids, ...RULES_TAIL };
}

export type EnvInput = Partial<Record<keyof Rules | `OTC_VIEW_GUID_${Uppercase<ViewName>}`, string>>;

/** Parses a `.env` file: KEY=VALUE lines, `#` comments, optional single or double quotes. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    const [, key, rawValue = ''] = match;
    const quoted = /^(['"])(.*)\1$/.exec(rawValue);
    out[key!] = quoted ? quoted[2]! : rawValue.replace(/\s+#.*$/, '');
  }
  return out;
}

function readDotEnv(cwd: string, warnings: string[]): { path: string | null; values: Record<string, string> } {
  const path = resolve(cwd, '.env');
  if (!existsSync(path)) return { path: null, values: {} };
  // A .env holds the source password: anyone who can read it can log in as the service account.
  if ((statSync(path).mode & 0o077) !== 0) {
    warnings.push(`${path} is readable by other users; run: chmod 600 ${path}`);
  }
  return { path, values: parseDotEnv(readFileSync(path, 'utf8')) };
}

export interface LoadConfigOptions {
  /** Process environment; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Values from command-line flags, keyed by the environment variable they override. */
  overrides?: EnvInput;
}

/** Reads, validates and freezes the configuration. Throws ConfigError listing every bad variable. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const warnings: string[] = [];
  const dotEnv = readDotEnv(cwd, warnings);
  const merged: Record<string, string | undefined> = { ...dotEnv.values };
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') merged[key] = value;
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) merged[key] = value;
  }
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, rule] of Object.entries(envRules())) {
    try {
      values[name] = rule(merged[name]);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      problems.push(`  ${name}: ${withValue(error.message, name, merged)}`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}\nFix the variables above (environment or .env).`);
  }
  return Object.freeze(toConfig(values as EnvValues, cwd, dotEnv.path, warnings));
}

/** The operator sees what was read, not only what was wrong: the value is echoed, passwords never. */
function withValue(message: string, name: string, known: Record<string, string | undefined>): string {
  const value = known[name];
  if (value === undefined || /PASSWORD/.test(name) || message.includes('it is "')) return message;
  return `${message}; it is ${JSON.stringify(withoutPassword(value))}`;
}

function toConfig(e: EnvValues, cwd: string, envFile: string | null, warnings: string[]): Config {
  const overrides = e as Record<string, unknown>;
  const guidOf = (v: ViewSpec): string => {
    const override = overrides[guidVariable(v.name)];
    return typeof override === 'string' && override !== '' ? override : v.guid;
  };
  const guids = Object.fromEntries(VIEWS.map((v) => [v.name, guidOf(v)])) as Record<ViewName, string>;
  if (e.OTC_PASSWORD && e.OTC_BASE_URL.startsWith('http://')) warnings.push(PLAIN_HTTP_WARNING);
  return {
    databaseUrl: e.DATABASE_URL ?? null,
    usePgEnv: !e.DATABASE_URL && !!e.PGHOST,
    dataDir: resolve(cwd, e.OTC_DATA_DIR),
    schema: e.OTC_SCHEMA,
    viewGuids: Object.freeze(guids),
    baseUrl: e.OTC_BASE_URL,
    username: e.OTC_USERNAME,
    password: e.OTC_PASSWORD ?? null,
    databasePassword: databasePasswordOf(e.DATABASE_URL, e.PGPASSWORD),
    timezone: e.OTC_TIMEZONE,
    maxRejectRate: e.OTC_MAX_REJECT_RATE,
    minVolumeRatio: e.OTC_MIN_VOLUME_RATIO,
    source: Object.freeze({
      minIntervalMs: e.OTC_MIN_INTERVAL_MS,
      maxRequestsPerHour: e.OTC_MAX_REQUESTS_PER_HOUR,
      timeoutMs: e.OTC_TIMEOUT_MS,
      maxRetries: e.OTC_MAX_RETRIES,
      backoffInitialMs: e.OTC_BACKOFF_INITIAL_MS,
      backoffMaxMs: e.OTC_BACKOFF_MAX_MS,
      retryAfterMaxMs: e.OTC_RETRY_AFTER_MAX_MS,
      breakerThreshold: e.OTC_BREAKER_THRESHOLD,
      breakerCooldownMs: e.OTC_BREAKER_COOLDOWN_MS,
      breakerHalfOpenSuccesses: e.OTC_BREAKER_HALF_OPEN_SUCCESSES,
      viewGapMs: e.OTC_VIEW_GAP_MS,
    }),
    retentionDays: e.OTC_RETENTION_DAYS,
    historyDays: e.OTC_HISTORY_DAYS,
    dbLockTimeoutMs: e.OTC_DB_LOCK_TIMEOUT_MS,
    maxRecordBytes: e.OTC_MAX_RECORD_BYTES,
    maxBodyBytes: e.OTC_MAX_BODY_BYTES,
    envFile,
    warnings: Object.freeze([...warnings]),
  };
}

function databasePasswordOf(url: string | undefined, pgPassword: string | undefined): string | null {
  if (!url) return pgPassword ?? null;
  try {
    const parsed = new URL(url);
    return decodeURIComponent(parsed.password) || parsed.searchParams.get('password') || null;
  } catch {
    // Not a URL (a libpq key=value string): scrub's password= rule still covers it.
    return null;
  }
}

/** The configuration as `otc-etl config` shows it: secrets redacted. */
export function redactedConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    databaseUrl: config.databaseUrl === null ? null : redactUrl(config.databaseUrl),
    baseUrl: redactUrl(config.baseUrl),
    password: config.password === null ? null : '***',
    databasePassword: config.databasePassword === null ? null : '***',
  };
}

/** Removes a password (and any userinfo password) from a URL or connection string. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/?#@]*):[^@/?#]*@/, '$1:***@').replace(/(password=)[^&\s]*/gi, '$1***');
}
