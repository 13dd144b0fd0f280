/**
 * A failed response, apart from the HTTP client: the breaker's pacing and the health report match on it
 * without loading the client (a read-only command never sends a request).
 */
import { SourceError } from '../errors.js';

/** A failed response, with what the protective client needs to decide on a retry. */
export class HttpStatusError extends SourceError {
  constructor(
    message: string,
    fields: { view: string; status: number; transient: boolean },
    readonly retryAfterMs: number | null,
  ) {
    super(message, fields);
  }
}
