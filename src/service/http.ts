/**
 * The service's HTTP endpoints: `/healthz`, `/metrics` and the status page at `/` (GET and HEAD), and the
 * operator's `POST /sync` and `POST /breaker/reset`. Another method is 405 with the allowed ones, an
 * unknown path 404, and a failure answers with a short message — never a stack trace, never a secret.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../errors.js';
import { scrub, type Logger } from '../log.js';

export interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export type Handler = () => Promise<Reply>;

/** A path's handlers by method; a bare handler serves GET (and HEAD). */
export type Route = Handler | { readonly GET?: Handler; readonly POST?: Handler };

export interface HttpService {
  readonly url: string;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
// The page is one file with inline CSS and SVG: forbid everything else, scripts included.
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

export function jsonReply(status: number, doc: unknown): Reply {
  return { status, contentType: JSON_TYPE, body: `${JSON.stringify(doc)}\n` };
}

function send(req: IncomingMessage, res: ServerResponse, reply: Reply, extra: Record<string, string> = {}): void {
  res.writeHead(reply.status, {
    'content-type': reply.contentType,
    'content-length': Buffer.byteLength(reply.body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': PAGE_POLICY,
    ...extra,
  });
  res.end(req.method === 'HEAD' ? undefined : reply.body);
}

function pathOf(req: IncomingMessage): string | null {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return null;
  }
}

function handlersOf(route: Route): Record<string, Handler> {
  const byMethod: Record<string, Handler | undefined> = typeof route === 'function' ? { GET: route } : { ...route };
  if (byMethod.GET) byMethod.HEAD = byMethod.GET;
  return Object.fromEntries(Object.entries(byMethod).filter((e): e is [string, Handler] => e[1] !== undefined));
}

/**
 * A POST a web page in a browser sent to this service on another site's behalf: the browser names that
 * site in Origin. An operator's curl sends no Origin; a page served by this service names this host.
 */
function crossSite(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

async function handle(routes: Readonly<Record<string, Route>>, log: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = pathOf(req);
  const route = path === null ? undefined : routes[path];
  if (!route) {
    send(req, res, jsonReply(404, { error: 'not found', paths: Object.keys(routes) }));
    return;
  }
  const handlers = handlersOf(route);
  const handler = handlers[req.method ?? 'GET'];
  if (!handler) {
    const allow = Object.keys(handlers).join(', ');
    send(req, res, jsonReply(405, { error: `method not allowed: use ${allow}` }), { allow });
    return;
  }
  if (req.method === 'POST' && crossSite(req)) {
    send(req, res, jsonReply(403, { error: 'cross-site request refused: send it from the service host (e.g. with curl)' }));
    return;
  }
  // A POST's body means nothing here; read it so the connection can be reused.
  if (req.method === 'POST') req.resume();
  try {
    send(req, res, await handler());
  } catch (error) {
    log.error({ path, err: scrub(error instanceof Error ? error.message : String(error)) }, 'request failed');
    send(req, res, jsonReply(500, { error: 'internal error; see the service log' }));
  }
}

/** Listens on host:port (port 0 = any free port). A port in use is a configuration error. */
export async function startHttp(
  routes: Readonly<Record<string, Route>>,
  options: { host: string; port: number; log: Logger },
): Promise<HttpService> {
  const server: Server = createServer((req, res) => {
    handle(routes, options.log, req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'EADDRINUSE' ? 'is in use; choose another with --port' : `cannot be opened (${error.code ?? error.message})`;
      reject(new ConfigError(`${options.host}:${options.port} ${hint}.`));
    });
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
