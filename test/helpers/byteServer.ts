import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ByteRoute {
  readonly status?: number;
  readonly body?: Uint8Array;
  /** 30x target path */
  readonly location?: string;
  /** send without Content-Length (chunked), as some mirrors do */
  readonly chunked?: boolean;
}

export interface ByteServer {
  readonly url: (path: string) => string;
  /** paths requested so far, in order */
  readonly requests: string[];
  close(): Promise<void>;
}

/** A loopback HTTP server that serves fixed bytes per path, for download tests without the internet. */
export async function startByteServer(routes: Readonly<Record<string, ByteRoute>>): Promise<ByteServer> {
  const requests: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    requests.push(path);
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (route.location !== undefined) {
      res.writeHead(route.status ?? 302, { location: route.location }).end();
      return;
    }
    const body = route.body ?? new Uint8Array();
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream' };
    if (route.chunked !== true) headers['content-length'] = body.length;
    res.writeHead(route.status ?? 200, headers);
    // Several writes, so a client sees the body arrive in pieces and reports progress.
    const piece = Math.max(1, Math.ceil(body.length / 20));
    for (let offset = 0; offset < body.length; offset += piece) res.write(body.subarray(offset, offset + piece));
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
