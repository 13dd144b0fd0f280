/**
 * The flags the commands share: their defaults, written once here (main.ts shows them in `--help`, the
 * commands fall back to them when called without the flag), and their parsing into values. A bad value
 * is a usage error (exit 2) that names the flag.
 */
import { ConfigError } from '../errors.js';
import { isViewName, VIEW_NAMES, type ViewName } from '../registry.js';
import type { Scale } from '../simulator/index.js';

/** `--host` of `serve` and `simulate`: this machine only, unless a proxy or scraper needs more. */
export const DEFAULT_HOST = '127.0.0.1';
/** `serve --port`. */
export const DEFAULT_SERVE_PORT = 8789;
/** `serve --schedule`: daily at 06:30 in OTC_TIMEZONE, as the team runs it today. */
export const DEFAULT_SCHEDULE = '30 6 * * *';
/** `report --runs`, and the runs per view the service's status page charts. */
export const DEFAULT_CHART_RUNS = 30;
/** `simulate --port`. */
export const DEFAULT_SIMULATOR_PORT = 8787;
/** `simulate --seed` and `demo --seed`: the seed of the generated data. */
export const DEFAULT_SEED = 1;
/** `simulate --scale` and `demo --scale`. */
export const DEFAULT_SCALE: Scale = 'small';
/** `simulate --step`: the tickets as they were at the reference time. */
export const DEFAULT_STEP = 0;

export function parseIntFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, not ${value}`);
  return n;
}

export function parseScale(value: string | undefined): Scale | number {
  if (value === undefined) return DEFAULT_SCALE;
  if (value === 'small' || value === 'full') return value;
  const n = Number(value);
  if (Number.isFinite(n) && n > 0) return n;
  throw new ConfigError(`--scale must be small, full or a positive multiplier, not ${value}`);
}

/** View names given as arguments (`sync`, `reprocess`) or `--view`; none means every view. */
export function parseViews(args: readonly string[]): ViewName[] | undefined {
  if (args.length === 0) return undefined;
  const unknown = args.filter((a) => !isViewName(a));
  if (unknown.length > 0) {
    throw new ConfigError(`unknown view ${unknown.join(', ')}: choose from ${VIEW_NAMES.join(', ')}.`);
  }
  return args as ViewName[];
}

/** Collects a repeatable flag's values (commander's accumulator). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
