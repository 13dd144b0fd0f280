/**
 * The only reader of `process.env`. Every variable is validated once, all problems are listed in one
 * message, and the result is a frozen object handed down to everything else.
 * Precedence: command-line flag > process environment > `.env` in the working directory > default.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseDatabaseUrl, withoutPassword } from './database-url.js';
import { ConfigError } from './errors.js';
import { guidVariable, VIEWS, type ViewName, type ViewSpec } from './registry.js';

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

const int = (min: number) => z.coerce.number().int().min(min);

/** Environment variable → schema, with defaults: the variables before the views' GUID overrides. */
const SCHEMA_HEAD = {
  DATABASE_URL: z
    .string()
    .min(1)
    .transform((value, ctx) => {
      const parsed = parseDatabaseUrl(value);
      if (parsed.ok) return parsed.url;
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    })
    .optional(),
  PGHOST: z.string().min(1).optional(),
  PGPASSWORD: z.string().min(1).optional(),
  OTC_DATA_DIR: z.string().min(1).default('./.otc-etl'),
  OTC_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .default('servicedesk'),
};

/** The variables after the views' GUID overrides. */
const SCHEMA_TAIL = {
  OTC_BASE_URL: z.url({ protocol: /^https?$/ }).default(DEFAULT_BASE_URL),
  OTC_USERNAME: z.string().min(1).default(DEFAULT_USERNAME),
  OTC_PASSWORD: z.string().min(1).optional(),
  OTC_TIMEZONE: z.string().refine(isKnownZone, 'must be an IANA time zone such as Australia/Perth').default('Australia/Perth'),
  OTC_MAX_REJECT_RATE: z.coerce.number().min(0).max(1).default(0.05),
  OTC_MIN_VOLUME_RATIO: z.coerce.number().min(0).max(1).default(0.5),
  OTC_MIN_INTERVAL_MS: int(0).default(5_000),
  OTC_MAX_REQUESTS_PER_HOUR: int(1).default(100),
  OTC_TIMEOUT_MS: int(1).default(120_000),
  OTC_MAX_RETRIES: int(0).default(3),
  OTC_BACKOFF_INITIAL_MS: int(0).default(10_000),
  OTC_BACKOFF_MAX_MS: int(0).default(300_000),
  OTC_RETRY_AFTER_MAX_MS: int(0).default(300_000),
  OTC_BREAKER_THRESHOLD: int(1).default(3),
  OTC_BREAKER_COOLDOWN_MS: int(0).default(600_000),
  OTC_BREAKER_HALF_OPEN_SUCCESSES: int(1).default(2),
  OTC_VIEW_GAP_MS: int(0).default(30_000),
  OTC_RETENTION_DAYS: int(0).default(400),
  OTC_HISTORY_DAYS: int(0).default(0),
  OTC_DB_LOCK_TIMEOUT_MS: int(1).default(60_000),
  // At least one KiB: a smaller cap would reject every real record.
  OTC_MAX_RECORD_BYTES: int(1024)
    .max(512 << 20)
    .default(16 << 20),
  OTC_MAX_BODY_BYTES: int(1).default(2 ** 31),
};

const ENV_SCHEMA = z.object({ ...SCHEMA_HEAD, ...SCHEMA_TAIL });

/**
 * The schema with one optional GUID override per view of the registry (`OTC_VIEW_GUID_<NAME>`), built
 * when the configuration is read so that every registered view has its variable.
 */
function envSchema(): typeof ENV_SCHEMA {
  const guids = Object.fromEntries(VIEWS.map((v) => [guidVariable(v.name), z.string().min(1).optional()]));
  return z.object({ ...SCHEMA_HEAD, ...guids, ...SCHEMA_TAIL }) as unknown as typeof ENV_SCHEMA;
}

export type EnvInput = Partial<Record<keyof z.input<typeof ENV_SCHEMA> | `OTC_VIEW_GUID_${Uppercase<ViewName>}`, string>>;

function isKnownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-AU', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

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
  const schema = envSchema();
  const parsed = schema.safeParse(pickKnown(schema, merged));
  if (!parsed.success) {
    const known = pickKnown(schema, merged);
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${withValue(i.message, i.path.join('.'), known)}`);
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}\nFix the variables above (environment or .env).`);
  }
  return Object.freeze(toConfig(parsed.data, cwd, dotEnv.path, warnings));
}

/** The operator sees what was read, not only what was wrong: the value is echoed, passwords never. */
function withValue(message: string, name: string, known: Record<string, string | undefined>): string {
  const value = known[name];
  if (value === undefined || /PASSWORD/.test(name) || message.includes('it is "')) return message;
  return `${message}; it is ${JSON.stringify(withoutPassword(value))}`;
}

function pickKnown(schema: typeof ENV_SCHEMA, merged: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) out[key] = merged[key];
  return out;
}

function toConfig(e: z.output<typeof ENV_SCHEMA>, cwd: string, envFile: string | null, warnings: string[]): Config {
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
