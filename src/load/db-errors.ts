/**
 * What a PostgreSQL error may say in a log line, an error message or `etl_metadata`. Messages about
 * data ("invalid input syntax for type numeric: "<the value>"") quote record contents, which are
 * customer data; messages about objects (tables, constraints, roles, connections) do not. The first
 * kind is replaced by its SQLSTATE and column, the second kept: it is what tells the user what to fix.
 */
import { sqlState } from './db.js';

/**
 * SQLSTATE classes whose messages name objects but never quote a value: connection (08), feature (0A),
 * integrity (23: the values are only in the detail, which is never shown), transaction state (25),
 * authorization (28), database/schema names (3D, 3F), rollback (40), syntax and privileges (42),
 * resources (53), limits (54), object state (55), operator intervention (57), system (58).
 */
const NAMING_CLASSES = new Set(['08', '0A', '23', '25', '28', '3D', '3F', '40', '42', '53', '54', '55', '57', '58']);

/** Whether `error` came from PostgreSQL (the server or the embedded one). */
export function isDatabaseError(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) && typeof (error as { severity?: unknown }).severity === 'string';
}

/** The error's message if it cannot quote a value, else its SQLSTATE and the column it concerns. */
export function safeDatabaseMessage(error: unknown): string {
  const code = sqlState(error) ?? 'unknown';
  const message = error instanceof Error ? error.message : String(error);
  if (NAMING_CLASSES.has(code.slice(0, 2))) return `${message} (SQLSTATE ${code})`;
  const column = columnOf(error);
  return (
    `the database refused a value${column ? ` in column ${column}` : ''} (SQLSTATE ${code}); ` +
    'its message is not shown because it can quote record contents'
  );
}

/** The column an error concerns: its own field, or the one COPY names in its context line. */
function columnOf(error: unknown): string | null {
  const { column, where } = error as { column?: unknown; where?: unknown };
  if (typeof column === 'string' && column !== '') return JSON.stringify(column);
  const match = typeof where === 'string' ? /^COPY [^,]+, line \d+, column ([^:]+):/.exec(where) : null;
  return match ? JSON.stringify(match[1]) : null;
}

/** Socket errors and SQLSTATEs that mean the connection itself went away (server restart, kill, network). */
const CONNECTION_LOST = new Set(['EPIPE', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006']);

/** Whether the error means the database connection dropped, rather than a statement failing. */
export function isConnectionLost(error: unknown): boolean {
  const code = sqlState(error);
  if (code !== undefined && CONNECTION_LOST.has(code)) return true;
  // pg reports a socket closed by the server without a code, and so a query on a client that lost it.
  return error instanceof Error && /^Connection terminated|connection error and is not queryable/.test(error.message);
}
