/**
 * How an error reads where the user sees it (the run record, the output, the log): no secrets, no record
 * contents, and the view named exactly once.
 */
import { CancelledError, OtcEtlError } from '../errors.js';
import { scrub } from '../log.js';
import { sqlState } from '../load/db.js';
import { isConnectionLost, isDatabaseError, safeDatabaseMessage } from '../load/db-errors.js';

/** An error as the run record and the log show it: no secrets, and no record contents. */
export function errorMessage(error: unknown): string {
  if (error instanceof OtcEtlError) return scrub(error.message);
  if (isConnectionLost(error)) {
    const code = sqlState(error) ?? 'closed';
    return `the connection to the database was lost during the load (${code}); the view was rolled back. Check the server and run sync again.`;
  }
  if (isDatabaseError(error)) return scrub(safeDatabaseMessage(error));
  const code = (error as { code?: string } | null)?.code;
  return scrub(code ? `${plainMessage(error)} (${code})` : plainMessage(error));
}

/** An error's own message, or the thrown value as text. */
export function plainMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A view's error as it is stored and shown: it names the view exactly once. Most messages already do
 * ("OTC rejected the credentials for view tickets"); the rest (database errors) get it as a prefix, so
 * no printer needs to add one and none prints "tickets: tickets: …".
 */
export function namingView(view: string, message: string): string {
  const named = new RegExp(`(^|[^\\w-])${view}([^\\w-]|$)`).test(message);
  return named ? message : `${view}: ${message}`;
}

/** Why a view's load stopped: its cancel (by the signal's reason), or its error. */
export function loadFailureText(error: unknown, view: string, signal: AbortSignal | undefined): string {
  if (error instanceof CancelledError) return error.message;
  if (signal?.aborted) return cancelledMessage(view, signal);
  return errorMessage(error);
}

/** A cancelled load; `when` says it had not started ("before it started"), else it was rolled back. */
export function cancelledMessage(view: string, signal: AbortSignal | undefined, when?: string): string {
  const reason = signal?.reason instanceof Error ? signal.reason.message : 'cancelled';
  if (when) return `${view}: ${reason} ${when}; nothing was loaded`;
  return `${view}: ${reason}; the view was rolled back and nothing was loaded`;
}
