/**
 * A local HTTP server that plays the OTC source: one endpoint, `GET {path}?id={view GUID}`
 * with HTTP Basic auth, answering `{"message":{"data":[...]}}`. Used by the demo, the tests and the
 * benchmarks; faults (see `faults.ts`) make it misbehave the ways the real one does.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VIEWS, type ViewSpec } from '../registry.js';
import { bodyChunks, writeChunks, writeHalfThenDrop } from './body.js';
import { Dataset } from './dataset.js';
import { referenceTime } from './day.js';
import type { Faults } from './faults.js';
import type { Scale } from './scale.js';

/** The real source's path; the simulator serves the same one so only host and port differ. */
export const ENDPOINT_PATH = '/OTC/Data/View/data';
export const DEFAULT_USERNAME = 'CloudTicket-Sync';
const DEFAULT_RETRY_AFTER_SECONDS = 1;

export interface SimulatorOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Seed of the generated data; default 1. */
  seed?: number;
  /** Amount of data; default 'small'. A number multiplies 'full'. */
  scale?: Scale | number;
  /** Basic-auth user; default `CloudTicket-Sync`. */
  username?: string;
  password: string;
  /**
   * Reference time of the data; default the local midnight that starts yesterday in `timezone`, so
   * the bodies are the same for every start on one day. When given, mutations are deterministic too; when
   * not, they are stamped with the wall clock.
   */
  now?: Date;
  /** Zone whose day the default reference time follows (OTC_TIMEZONE); default Australia/Perth. */
  timezone?: string;
  /** How many steps the tickets have moved since the reference time (`--step`); default 0. */
  step?: number;
  faults?: Faults;
  /**
   * Render each view's body once per version of the data, at start and after each `mutate`, and serve
   * its bytes (a body with a fault is still rendered afresh). For benchmarks: the real source runs on
   * another machine, while rendering a full-scale timesheets body takes this one over a second of a
   * core, taken from the sync being measured. Holds every body in memory (about 140 MB at full scale).
   */
  renderOnce?: boolean;
  /** How the `delayMs` fault waits; injected by tests, default a real timer. */
  sleep?: (ms: number) => Promise<void>;
}

export interface SimulatorRequest {
  /** The view asked for, or null (unknown GUID, other path). */
  readonly view: string | null;
  readonly status: number;
  /** When the status was decided, epoch ms. */
  readonly at: number;
}

export interface Simulator {
  /** Base endpoint URL, e.g. http://127.0.0.1:PORT/OTC/Data/View/data (append `?id=GUID`). */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: ReadonlyArray<SimulatorRequest>;
  /** Replace the active faults. */
  setFaults(f: Faults): void;
  /**
   * Advance the data, as the real source changes between calls: `share` (0..1) of the tickets get a new
   * status and of the timesheets new hours, both with a later modified time; `share` of the comment count
   * is added as new comments (at least one when share > 0).
   */
  mutate(share: number): void;
  close(): Promise<void>;
}

/** sha256 of the expected "user:password", compared in constant time without revealing which part differs. */
function credentialsCheck(username: string, password: string): (req: IncomingMessage) => boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  const expected = digest(`${username}:${password}`);
  return (req) => {
    const header = req.headers.authorization ?? '';
    const match = /^basic\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) return false;
    return timingSafeEqual(digest(Buffer.from(match[1], 'base64').toString('utf8')), expected);
  };
}

function viewForGuid(id: string | null): ViewSpec | undefined {
  const wanted = id?.trim().toLowerCase();
  return VIEWS.find((v) => v.guid.toLowerCase() === wanted);
}

function sendError(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  const body = JSON.stringify({ error: STATUS_CODES[status] ?? 'Error' });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const dataset = new Dataset({
    seed: opts.seed ?? 1,
    scale: opts.scale ?? 'small',
    now: opts.now ?? referenceTime(new Date(), opts.timezone ?? 'Australia/Perth'),
    live: opts.now === undefined,
    step: opts.step ?? 0,
  });
  dataset.prepare();
  const authorised = credentialsCheck(opts.username ?? DEFAULT_USERNAME, opts.password);
  const requests: SimulatorRequest[] = [];
  let faults: Faults = {};
  const setFaults = (f: Faults): void => {
    // Copied, so counting down `failNext` never edits the caller's object.
    faults = { ...f, failNext: f.failNext && { ...f.failNext }, views: f.views && { ...f.views } };
  };
  setFaults(opts.faults ?? {});

  const log = (view: ViewSpec | undefined, status: number): void => {
    requests.push({ view: view?.name ?? null, status, at: Date.now() });
  };
  const refuse = (res: ServerResponse, view: ViewSpec | undefined, status: number, headers = {}): void => {
    log(view, status);
    sendError(res, status, headers);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const view = viewForGuid(url.searchParams.get('id'));
    if (faults.delayMs) await (opts.sleep ?? sleep)(faults.delayMs);
    if (url.pathname !== ENDPOINT_PATH) return refuse(res, undefined, 404);
    if (req.method !== 'GET') return refuse(res, view, 405, { Allow: 'GET' });

    const failing = faults.failNext;
    if (failing && failing.count > 0) {
      failing.count -= 1;
      // A 429 always says when to come back; other statuses only when the fault asks for it.
      const retryAfter = failing.retryAfterSeconds ?? (failing.status === 429 ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
      return refuse(res, view, failing.status, retryAfter === undefined ? {} : { 'Retry-After': retryAfter });
    }
    // One body for every authentication failure: it must not tell which part of the credentials was wrong.
    if (!authorised(req)) return refuse(res, view, 401, { 'WWW-Authenticate': 'Basic realm="OTC"' });
    if (!view) return refuse(res, undefined, 404);

    const fault = faults.views?.[view.name];
    // Taken before the first byte, so a mutate() during a slow download does not change this body.
    const snapshot = dataset.snapshot(view.name);
    const laterThanAllMs = dataset.laterThanAll();
    const body = () => bodyChunks({ view, snapshot, fault, laterThanAllMs });
    log(view, 200);
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json');
    if (fault === 'cutoff') return writeHalfThenDrop(res, body);
    return writeChunks(res, fault === undefined && opts.renderOnce ? rendered(view) : body());
  }

  /** The view's body as bytes, rendered once per version of the data (`renderOnce`). */
  const renderedBodies = new Map<ViewSpec, { version: number; chunks: Buffer[] }>();
  function rendered(view: ViewSpec): Buffer[] {
    const held = renderedBodies.get(view);
    if (held?.version === dataset.version) return held.chunks;
    const snapshot = dataset.snapshot(view.name);
    const chunks = [...bodyChunks({ view, snapshot, fault: undefined, laterThanAllMs: dataset.laterThanAll() })].map((c) => Buffer.from(c));
    renderedBodies.set(view, { version: dataset.version, chunks });
    return chunks;
  }
  if (opts.renderOnce) for (const view of VIEWS) rendered(view);

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // Nothing useful can be sent once headers are out; drop the connection so the client sees a failure.
      if (res.headersSent) res.destroy();
      else refuse(res, undefined, 500);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host}:${address.port}${ENDPOINT_PATH}`,
    requests,
    setFaults,
    mutate: (share) => {
      dataset.mutate(share);
      if (opts.renderOnce) for (const view of VIEWS) rendered(view);
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections and bodies still streaming would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
