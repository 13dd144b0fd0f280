/**
 * The service's HTTP endpoints: `/healthz`, `/metrics` and the status page at `/`. GET (and HEAD) only;
 * anything else is 405, unknown paths 404, and a failure answers with a short message — never a stack
 * trace, never a secret.
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

export type Route = () => Promise<Reply>;

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

async function handle(routes: Readonly<Record<string, Route>>, log: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = pathOf(req);
  const route = path === null ? undefined : routes[path];
  if (!route) {
    send(req, res, jsonReply(404, { error: 'not found', paths: Object.keys(routes) }));
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(req, res, jsonReply(405, { error: 'method not allowed: use GET' }), { allow: 'GET, HEAD' });
    return;
  }
  try {
    send(req, res, await route());
  } catch (error) {
    log.error({ path, err: scrub(error instanceof Error ? error.message : String(error)) }, 'request failed');
    send(req, res, jsonReply(500, { error: 'internal error; see the service log' }));
  }
}

/** Listens on host:port (port 0 = any free port). A port in use is a configuration error. */
export async function startHttp(routes: Readonly<Record<string, Route>>, options: { host: string; port: number; log: Logger }): Promise<HttpService> {
  const server: Server = createServer((req, res) => {
    handle(routes, options.log, req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'EADDRINUSE' ? 'is in use; choose another with --port' : `cannot be opened (${error.code ?? error.message})`;
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
