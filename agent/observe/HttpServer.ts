import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ObserveError, toError } from '../../pipelines/errors.js';
import type { Logger } from './logger.js';


export interface Readiness {
  readonly ready: boolean;
  /** machine-readable, e.g. `mqtt_disconnected`, `camera_offline:gate-1` */
  readonly reasons: readonly string[];
}

export interface HttpServerDeps {
  /** default 127.0.0.1: metrics stay on the box unless the operator opens them up */
  readonly host?: string;
  /** default 9464; 0 picks a free port (tests) */
  readonly port?: number;
  readonly registry: Registry;
  readonly readiness: () => Readiness;
  readonly logger: Logger;
}

export const DEFAULT_METRICS_HOST = '127.0.0.1';
export const DEFAULT_METRICS_PORT = 9464;

/**
 * `/metrics` (Prometheus text), `/healthz` (the process answers), `/readyz` (the agent can do its
 * job: 503 with reasons otherwise). Nothing else, so the port exposes no more than it must.
 */
export class HttpServer {
  private readonly deps: HttpServerDeps;
  private server: Server | null = null;
  private bound: { host: string; port: number } | null = null;
  private stopping: Promise<void> | null = null;

  constructor(deps: HttpServerDeps) {
    this.deps = deps;
  }

  /** The bound address once started (the real port when 0 was asked for). */
  get address(): { host: string; port: number } {
    if (!this.bound) throw new ObserveError('not_started', 'the HTTP server is not listening');
    return this.bound;
  }

  get url(): string {
    const { host, port } = this.address;
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const host = this.deps.host ?? DEFAULT_METRICS_HOST;
    const port = this.deps.port ?? DEFAULT_METRICS_PORT;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.deps.logger.error({ err: toError(error), path: req.url }, 'metrics endpoint failed');
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
        else res.destroy();
      });
    });
    // Scrapers reconnect cheaply; an idle or slow client must not pin sockets on the edge box.
    server.keepAliveTimeout = 5_000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 15_000;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        server.close();
        reject(new ObserveError('listen_failed', `cannot listen on ${host}:${port}: ${error.code ?? error.message}`, { cause: error }));
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (error) => this.deps.logger.error({ err: error }, 'metrics server error'));
    const address = server.address() as AddressInfo;
    this.server = server;
    this.stopping = null;
    this.bound = { host: address.address, port: address.port };
    this.deps.logger.info({ host: address.address, port: address.port }, 'metrics endpoint listening');
  }

  stop(): Promise<void> {
    const server = this.server;
    if (!server) return this.stopping ?? Promise.resolve();
    this.server = null;
    this.stopping = new Promise<void>((resolve) => {
      server.close(() => resolve());
      // close() waits for keep-alive sockets; a scraper holding one must not delay shutdown.
      server.closeAllConnections();
    });
    return this.stopping;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const known = path === '/metrics' || path === '/healthz' || path === '/readyz';
    if (!known) {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      const body = await this.deps.registry.metrics();
      send(res, 200, this.deps.registry.contentType, body, req.method === 'HEAD');
      return;
    }
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok' }, req.method === 'HEAD');
      return;
    }
    const readiness = this.readiness();
    sendJson(res, readiness.ready ? 200 : 503, readiness, req.method === 'HEAD');
  }

  private readiness(): Readiness {
    try {
      const { ready, reasons } = this.deps.readiness();
      return { ready, reasons: [...reasons] };
    } catch (error) {
      this.deps.logger.error({ err: toError(error) }, 'readiness check threw');
      return { ready: false, reasons: ['readiness_check_failed'] };
    }
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headOnly = false): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(headOnly ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, headOnly = false): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`, headOnly);
}
