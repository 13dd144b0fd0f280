/** `otc-etl simulate`: a local OTC look-alike, until interrupted. */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { ConfigError, EXIT, type ExitCode } from '../../errors.js';
import { startSimulator, type Scale } from '../../simulator/index.js';
import type { Runtime } from '../runtime.js';

export interface SimulateFlags {
  port?: string;
  host?: string;
  seed?: string;
  scale?: string;
  username?: string;
  password?: string;
}

export function parseScale(value: string | undefined): Scale | number {
  if (value === undefined || value === 'small' || value === 'full') return value ?? 'small';
  const n = Number(value);
  if (Number.isFinite(n) && n > 0) return n;
  throw new ConfigError(`--scale must be small, full or a positive multiplier, not ${value}`);
}

export function parseIntFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, not ${value}`);
  return n;
}

export async function simulateCommand(rt: Runtime, flags: SimulateFlags): Promise<ExitCode> {
  // Credentials: flags, else the configured ones, else a fresh random password printed once.
  const password = flags.password ?? rt.config.password ?? randomBytes(9).toString('base64url');
  const username = flags.username ?? rt.config.username;
  const sim = await startSimulator({
    port: parseIntFlag('--port', flags.port, 8787),
    host: flags.host ?? '127.0.0.1',
    seed: parseIntFlag('--seed', flags.seed, 1),
    scale: parseScale(flags.scale),
    username,
    password,
  });
  const generated = !flags.password && !rt.config.password;
  rt.print({ url: sim.url, username, password: generated ? password : '***' }, () =>
    [
      `OTC simulator listening at ${sim.url}`,
      `  OTC_BASE_URL=${sim.url}`,
      `  OTC_USERNAME=${username}`,
      generated ? `  OTC_PASSWORD=${password}   (generated for this session)` : '  OTC_PASSWORD=(the one you configured)',
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await sim.close();
  return EXIT.ok;
}
