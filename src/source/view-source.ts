/**
 * The seam between the pipeline and the source: fetch one view's whole body to a spool file.
 * Spooling keeps memory flat whatever the body size, lets a retry start over cleanly, and keeps the
 * (slow) network out of the view's database transaction.
 */
import type { ViewName } from '../registry.js';
import type { Spool } from './spool.js';

export interface FetchedBody {
  /** Temporary file holding the body exactly as received. */
  readonly file: string;
  readonly bytes: number;
  /** Wall time of the successful request, ms. */
  readonly elapsedMs: number;
  /** Deletes the spool file. */
  dispose(): Promise<void>;
}

export interface FetchOptions {
  readonly signal?: AbortSignal;
  /** Told how many body bytes have arrived so far (for progress lines). */
  readonly onBytes?: (bytes: number) => void;
  /**
   * Given each attempt's spool as its body starts to arrive, to read it meanwhile. A failed attempt's
   * spool is abandoned (its readers get `SpoolAbandonedError`) and a retry brings a new one.
   */
  readonly onSpool?: (spool: Spool) => void;
}

export interface ViewSource {
  fetchView(view: ViewName, options?: FetchOptions): Promise<FetchedBody>;
  /**
   * Why a request for `view` would be refused now without being sent (an open circuit breaker), or null.
   * Asked between views, so a sync that cannot reach the source stops at once instead of waiting out
   * the gap before each view only to be refused.
   */
  refusal?(view: ViewName): Promise<Error | null>;
}
