/**
 * The seam between the pipeline and the source: fetch one view's whole body to a spool file.
 * Spooling keeps memory flat whatever the body size, lets a retry start over cleanly, and keeps the
 * (slow) network out of the view's database transaction.
 */
import type { ViewName } from '../registry.js';

export interface FetchedBody {
  /** Temporary file holding the body exactly as received. */
  readonly file: string;
  readonly bytes: number;
  /** Wall time of the successful request, ms. */
  readonly elapsedMs: number;
  /** Deletes the spool file. */
  dispose(): Promise<void>;
}

export interface ViewSource {
  /** `onBytes` is told how many body bytes have arrived so far (for progress lines). */
  fetchView(view: ViewName, signal?: AbortSignal, onBytes?: (bytes: number) => void): Promise<FetchedBody>;
}
