/**
 * One HTTP GET of a view with Basic auth, streamed into a spool file. Status codes become typed
 * errors here, where their meaning is known: 5xx/429/timeouts/dropped connections are transient,
 * 401/403/404 are terminal and say what to fix.
 */
import { rm } from 'node:fs/promises';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { SourceError } from '../errors.js';
import { guidVariable } from '../registry.js';
import { HttpStatusError } from './http-status-error.js';
import { makeSpoolDir, removeDeadSpools, Spool } from './spool.js';
import type { FetchedBody } from './view-source.js';

export interface GetOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly view: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Called with the number of body bytes received so far (for progress lines). */
  readonly onBytes?: (bytes: number) => void;
  /** Given the spool once the source has answered 200, to read the body while it arrives. */
  readonly onSpool?: (spool: Spool) => void;
  /** Most decoded body bytes accepted (OTC_MAX_BODY_BYTES); more fails the request. Default 2 GiB. */
  readonly maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY_BYTES = 2 ** 31;

/** The source is slow and its JSON compresses 5-10×: every encoding node:zlib can decode is welcome. */
const ACCEPT_ENCODING = 'gzip, deflate, br';

/** A body larger than OTC_MAX_BODY_BYTES: not retried, since the next answer would be as large. */
export class BodyTooLargeError extends SourceError {
  constructor(view: string, maxBytes: number) {
    super(
      `OTC sent more than OTC_MAX_BODY_BYTES=${maxBytes} bytes (decoded) for view ${view}; the download was stopped and nothing was loaded. ` +
        'If the view really is that large, raise OTC_MAX_BODY_BYTES.',
      { view, transient: false },
    );
  }
}

function describeStatus(status: number, view: string): { message: string; transient: boolean } {
  if (status === 401) {
    return { transient: false, message: `OTC rejected the credentials for view ${view} (401): check OTC_USERNAME and OTC_PASSWORD.` };
  }
  if (status === 403) {
    return {
      transient: false,
      message: `OTC refused access to view ${view} (403): the service account lacks permission for this view; ask the OTC administrators.`,
    };
  }
  if (status === 404) {
    return { transient: false, message: `OTC does not know view ${view} (404): check its GUID (${guidVariable(view)}) and OTC_BASE_URL.` };
  }
  if (status === 429) {
    return { transient: true, message: `OTC rate-limited the request for view ${view} (429).` };
  }
  if (status >= 500) {
    return { transient: true, message: `OTC answered ${status} for view ${view} (overloaded or in maintenance).` };
  }
  return { transient: false, message: `OTC answered an unexpected status ${status} for view ${view}.` };
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** No usable answer: a timeout, a refused or dropped connection, a body cut off mid-way. */
export class NetworkError extends SourceError {
  constructor(
    message: string,
    fields: { view: string; transient: boolean; cause: unknown },
    readonly timedOut: boolean,
  ) {
    super(message, fields);
  }
}

/** Codes that mean the connection ended early, once the body had started: the body was cut short. */
const CUT_SHORT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

const NETWORK_CODES = new Set([...CUT_SHORT_CODES, 'ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A TLS certificate this machine does not accept: asking again gets the same one. */
const CERTIFICATE_CODE = /CERT|SIGNATURE|ISSUER/;

/** Where the request went, as host:port, for messages (never the credentials or the query). */
function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return 'OTC_BASE_URL';
  }
}

/** What went wrong on the wire, in words: the user should not have to know Node's error codes. */
function networkWords(code: string, at: string, view: string, received: number | null): string {
  if (received !== null && CUT_SHORT_CODES.has(code)) {
    return `the body of view ${view} was cut short after ${received} bytes: OTC at ${at} closed the connection before sending all of it.`;
  }
  if (code === 'ECONNREFUSED')
    return `OTC at ${at} refused the connection for view ${view} (ECONNREFUSED): check OTC_BASE_URL and that the source is up.`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `the host of OTC_BASE_URL (${at}) could not be found for view ${view} (${code}): check OTC_BASE_URL and DNS.`;
  if (code === 'ETIMEDOUT') return `could not connect to OTC at ${at} in time for view ${view}.`;
  if (CERTIFICATE_CODE.test(code)) {
    return (
      `OTC at ${at} presented a TLS certificate this machine does not accept for view ${view} (${code}): check OTC_BASE_URL; ` +
      'if the certificate is the right one, give its CA to node in NODE_EXTRA_CA_CERTS.'
    );
  }
  if (CUT_SHORT_CODES.has(code)) return `OTC at ${at} closed the connection for view ${view} before answering.`;
  return `the connection to OTC at ${at} failed for view ${view}${code ? ` (${code})` : ''}.`;
}

function networkError(error: unknown, options: GetOptions, timedOut: boolean, received: number | null): SourceError {
  const { view } = options;
  if (timedOut)
    return new NetworkError(
      `OTC did not answer view ${view} in time (timeout, OTC_TIMEOUT_MS).`,
      { view, transient: true, cause: error },
      true,
    );
  const code = (error as { code?: string }).code ?? '';
  const transient = NETWORK_CODES.has(code);
  return new NetworkError(networkWords(code, hostOf(options.url), view, received), { view, transient, cause: error }, false);
}

/** GETs the view into a new spool file. Throws HttpStatusError or SourceError. */
export async function getToFile(options: GetOptions): Promise<FetchedBody> {
  await removeDeadSpools();
  const dir = await makeSpoolDir();
  const file = join(dir, `${options.view}.json`);
  const dispose = () => rm(dir, { recursive: true, force: true });
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const started = Date.now();
  let spool: Spool | null = null;
  /** Body bytes received, once the source has answered 200: a failure after that cut the body short. */
  let received: number | null = null;
  try {
    const auth = Buffer.from(`${options.username}:${options.password}`).toString('base64');
    const response = await get(
      options.url,
      { authorization: `Basic ${auth}`, accept: 'application/json', 'accept-encoding': ACCEPT_ENCODING },
      signal,
    );
    const status = response.statusCode ?? 0;
    if (status !== 200) {
      response.resume();
      const { message, transient } = describeStatus(status, options.view);
      const retryAfter = parseRetryAfter(response.headers['retry-after']);
      throw new HttpStatusError(message, { view: options.view, status, transient }, retryAfter);
    }
    let decoders: Transform[];
    try {
      decoders = decodersFor(response.headers['content-encoding'], options.view);
    } catch (error) {
      response.resume();
      throw error;
    }
    spool = new Spool(file);
    options.onSpool?.(spool);
    received = 0;
    const cap = bodyCap(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, options.view);
    const counter = byteCounter((bytes) => {
      received = bytes;
      options.onBytes?.(bytes);
    });
    await (pipeline as (...streams: unknown[]) => Promise<void>)(response, ...decoders, cap, counter, spool.writer());
    spool.complete();
    return { file, bytes: spool.written, elapsedMs: Date.now() - started, dispose };
  } catch (error) {
    spool?.fail();
    await dispose();
    if (error instanceof SourceError) throw error;
    if (options.signal?.aborted) throw error;
    if (isDecodeError(error)) {
      const code = (error as { code: string }).code;
      throw new NetworkError(
        `OTC's compressed body for view ${options.view} does not decode (${code}): the download was probably cut off.`,
        { view: options.view, transient: true, cause: error },
        false,
      );
    }
    throw networkError(error, options, timeout.aborted, received);
  }
}

/**
 * Sends the GET and resolves with the response once its headers arrive. Node's own client: it loads in
 * a few milliseconds, where a client package took a tenth of a second of every sync's start.
 */
function get(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, { method: 'GET', headers, signal }, resolve);
    request.on('error', reject);
    request.end();
  });
}

function isDecodeError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** Decoders for a Content-Encoding (applied in reverse of the order listed); an unknown one is refused. */
function decodersFor(header: string | string[] | undefined, view: string): Transform[] {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  const codings = value
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  return codings.reverse().map((coding) => {
    if (coding === 'gzip' || coding === 'x-gzip') return createGunzip();
    if (coding === 'deflate') return createInflate();
    if (coding === 'br') return createBrotliDecompress();
    throw new SourceError(`OTC sent view ${view} with a Content-Encoding this client cannot decode (${coding.slice(0, 40)}).`, {
      view,
      transient: false,
    });
  });
}

/** Counts decoded bytes and stops the download past `maxBytes`: an endless body must not fill the disk. */
function bodyCap(maxBytes: number, view: string): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(new BodyTooLargeError(view, maxBytes));
      done(null, chunk);
    },
  });
}

function byteCounter(onBytes: (bytes: number) => void): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      onBytes(bytes);
      done(null, chunk);
    },
  });
}
