/**
 * A tiny real HTTP server playing OTC with records the test chooses (the simulator generates its
 * own). Same endpoint shape: GET ?id=GUID with Basic auth, `{"message":{"data":[...]}}`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { VIEWS, type ViewName } from '../../src/registry.js';

export const FIXTURE_USER = 'CloudTicket-Sync';
export const FIXTURE_PASSWORD = 'fixture-secret-pw';

export interface FixtureServer {
  readonly url: string;
  /** Replaces what a view returns: records (wrapped in the usual envelope), or a raw status/body. */
  set(view: ViewName, response: unknown[] | { status: number; body?: string | Buffer; headers?: Record<string, string> }): void;
  readonly hits: Record<string, number>;
  /** Connections accepted so far (an https one counts even when its handshake fails). */
  readonly connections: number;
  /** Told of each request for a view as it arrives; the answer waits for what it returns. */
  onRequest: ((view: ViewName) => void | Promise<void>) | null;
  /** Env for a config or CLI pointing at this server. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

/** The certificate and key of an https source (the tests' own, in test/support/tls). */
export interface FixtureTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** `tls`: serve over https with that certificate, as OTC is reached in production. */
export async function startFixtureServer(initial: Partial<Record<ViewName, unknown[]>> = {}, tls?: FixtureTls): Promise<FixtureServer> {
  const responses = new Map<string, unknown>();
  const hits: Record<string, number> = {};
  for (const view of VIEWS) responses.set(view.guid, initial[view.name] ?? []);
  const expected = `Basic ${Buffer.from(`${FIXTURE_USER}:${FIXTURE_PASSWORD}`).toString('base64')}`;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
    const view = VIEWS.find((v) => v.guid === id);
    if (view) hits[view.name] = (hits[view.name] ?? 0) + 1;
    if (view) await fixture.onRequest?.(view.name);
    if (req.headers.authorization !== expected) {
      res.writeHead(401).end('unauthorized');
      return;
    }
    const response = responses.get(id);
    if (response === undefined) {
      res.writeHead(404).end('no such view');
      return;
    }
    if (Array.isArray(response)) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ message: { data: response } }));
      return;
    }
    const raw = response as { status: number; body?: string | Buffer; headers?: Record<string, string> };
    res.writeHead(raw.status, raw.headers ?? {}).end(raw.body ?? '');
  };
  const server: Server = tls ? createTlsServer(tls, handle) : createServer(handle);
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}/OTC/Data/View/data`;
  const fixture: FixtureServer = {
    url,
    hits,
    get connections() {
      return connections;
    },
    onRequest: null,
    set: (view, response) => responses.set(VIEWS.find((v) => v.name === view)!.guid, response),
    env: () => ({
      OTC_BASE_URL: url,
      OTC_USERNAME: FIXTURE_USER,
      OTC_PASSWORD: FIXTURE_PASSWORD,
      OTC_MIN_INTERVAL_MS: '0',
      OTC_VIEW_GAP_MS: '0',
      OTC_BACKOFF_INITIAL_MS: '1',
      OTC_BACKOFF_MAX_MS: '5',
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return fixture;
}
