/** `otc-etl simulate`: a local OTC look-alike, until interrupted. */
import { randomBytes } from 'node:crypto';
import { ConfigError, EXIT, type ExitCode } from '../../errors.js';
import { isViewName, VIEW_NAMES } from '../../registry.js';
import { startSimulator, VIEW_FAULTS, type Faults, type ViewFault } from '../../simulator/index.js';
import { DEFAULT_HOST, DEFAULT_SEED, DEFAULT_SIMULATOR_PORT, DEFAULT_STEP, parseIntFlag, parseScale } from '../flags.js';
import type { Runtime } from '../runtime.js';
import { listenForStopSignals } from '../signals.js';

export interface SimulateFlags {
  port?: string;
  host?: string;
  seed?: string;
  scale?: string;
  username?: string;
  password?: string;
  /** Steps the tickets have moved since the reference time (one hour each); default 0. */
  step?: string;
  /** `STATUS:COUNT[:RETRY_AFTER_SECONDS]`, e.g. `503:3` or `429:1:30`. */
  failNext?: string;
  delayMs?: string;
  /** `VIEW=FAULT`, repeatable. */
  fault?: string[];
}

/** The `--fail-next`, `--delay-ms` and `--fault` flags as simulator faults. */
export function parseFaults(flags: Pick<SimulateFlags, 'failNext' | 'delayMs' | 'fault'>): Faults {
  const faults: { failNext?: Faults['failNext']; delayMs?: number; views?: NonNullable<Faults['views']> } = {};
  if (flags.failNext !== undefined) {
    const match = /^(\d{3}):(\d+)(?::(\d+))?$/.exec(flags.failNext);
    if (!match)
      throw new ConfigError(
        `--fail-next must be STATUS:COUNT or STATUS:COUNT:RETRY_AFTER_SECONDS (e.g. 503:3, 429:1:30), not ${flags.failNext}`,
      );
    const [, status, count, retryAfter] = match;
    faults.failNext = { status: Number(status), count: Number(count), ...(retryAfter ? { retryAfterSeconds: Number(retryAfter) } : {}) };
  }
  if (flags.delayMs !== undefined) faults.delayMs = parseIntFlag('--delay-ms', flags.delayMs, 0);
  for (const entry of flags.fault ?? []) {
    const [view, fault] = entry.split('=');
    if (!view || !isViewName(view) || !VIEW_FAULTS.includes(fault as ViewFault)) {
      throw new ConfigError(
        `--fault must be VIEW=FAULT with VIEW one of ${VIEW_NAMES.join(', ')} and FAULT one of ${VIEW_FAULTS.join(', ')}; not ${entry}`,
      );
    }
    faults.views = { ...faults.views, [view]: fault as ViewFault };
  }
  return faults;
}

export async function simulateCommand(rt: Runtime, flags: SimulateFlags): Promise<ExitCode> {
  // Credentials: flags, else the configured ones, else a fresh random password printed once.
  const password = flags.password ?? rt.config.password ?? randomBytes(9).toString('base64url');
  const username = flags.username ?? rt.config.username;
  const faults = parseFaults(flags);
  const port = parseIntFlag('--port', flags.port, DEFAULT_SIMULATOR_PORT);
  const host = flags.host ?? DEFAULT_HOST;
  const step = parseIntFlag('--step', flags.step, DEFAULT_STEP);
  const sim = await startSimulator({
    port,
    host,
    seed: parseIntFlag('--seed', flags.seed, DEFAULT_SEED),
    scale: parseScale(flags.scale),
    step,
    timezone: rt.config.timezone,
    username,
    password,
    faults,
  }).catch((error: NodeJS.ErrnoException) => {
    // A port in use is the user's to change, not a crash.
    if (!error.code) throw error;
    const hint = error.code === 'EADDRINUSE' ? 'is in use; choose another with --port' : `cannot be opened (${error.code})`;
    throw new ConfigError(`${host}:${port} ${hint}.`);
  });
  const generated = !flags.password && !rt.config.password;
  rt.print({ url: sim.url, username, password: generated ? password : '***', step, faults }, () =>
    [
      `OTC simulator listening at ${sim.url}`,
      `  OTC_BASE_URL=${sim.url}`,
      `  OTC_USERNAME=${username}`,
      generated ? `  OTC_PASSWORD=${password}   (generated for this session)` : '  OTC_PASSWORD=(the one you configured)',
      `  tickets at step ${step} (moved ${step} times, hourly from the midnight that began yesterday in ${rt.config.timezone})`,
      ...(Object.keys(faults).length > 0 ? [`  faults: ${JSON.stringify(faults)}`] : []),
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
  const stop = listenForStopSignals(rt.io, {});
  try {
    await stop.received;
    await sim.close();
  } finally {
    stop.remove();
  }
  return EXIT.ok;
}
