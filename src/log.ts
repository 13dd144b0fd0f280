/**
 * Structured logs on stderr (or the destination the command line was given): JSON lines with `--log-format json`, short readable lines otherwise.
 * Results go to stdout, never here. Secrets are scrubbed at the logger, whatever the caller passes
 * (see secrets.ts: passwords in any escaping, credentials in URLs, `Authorization` values).
 */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { scrub } from './secrets.js';

export type { Logger } from 'pino';
export type LogFormat = 'text' | 'json';

export { registerSecret, scrub } from './secrets.js';

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const HIDDEN_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

function formatText(line: string): string {
  const entry = JSON.parse(line) as Record<string, unknown>;
  // The full UTC date-time, as every time the CLI prints: a log line read days later must say which day.
  const time = new Date(entry.time as string | number).toISOString();
  const level = (LEVEL_NAMES[entry.level as number] ?? 'info').padEnd(5);
  const extras = Object.entries(entry)
    .filter(([k]) => !HIDDEN_KEYS.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time} ${level} ${entry.msg ?? ''}${extras ? ` ${extras}` : ''}\n`;
}

/** Where log lines are written: stderr, or what a caller running the CLI in its own process gave it. */
export interface LogDestination {
  write(text: string, done: (error?: Error | null) => void): unknown;
}

function scrubbingSink(format: LogFormat, destination: LogDestination): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = scrub(chunk.toString('utf8'));
      destination.write(format === 'json' ? line : formatText(line), () => done());
    },
  });
}

export function createLogger(options: { format?: LogFormat; level?: string; destination: LogDestination }): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['password', '*.password', 'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization'],
        censor: '***',
      },
    },
    scrubbingSink(options.format ?? 'text', options.destination),
  );
}

/** A logger that drops everything, for library use and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
