/**
 * A source that takes requests and never answers, like OTC on a bad day: for tests of what a signal
 * does while a request is in flight. It tells when a request arrived and when the client gave up on it.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HangingSource {
  readonly url: string;
  /** Resolves when the first request arrives. */
  readonly requested: Promise<void>;
  /** Resolves when the client closes the connection of that request. */
  readonly abandoned: Promise<void>;
  close(): Promise<void>;
}

export async function startHangingSource(): Promise<HangingSource> {
  let onRequest!: () => void;
  let onAbandon!: () => void;
  const requested = new Promise<void>((resolve) => (onRequest = resolve));
  const abandoned = new Promise<void>((resolve) => (onAbandon = resolve));
  const open: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    open.push(res);
    req.socket.once('close', onAbandon);
    onRequest();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/OTC/Data/View/data`,
    requested,
    abandoned,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
