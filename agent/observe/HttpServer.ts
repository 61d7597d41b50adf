import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { isLoopbackHost, type MetricsAuthSettings } from '../../pipelines/config/metricsSchema.js';
import { ObserveError, toError } from '../../pipelines/errors.js';
import type { Logger } from './logger.js';
import type { SecretScrubber } from './SecretScrubber.js';

export interface Readiness {
  readonly ready: boolean;
  /** machine-readable, e.g. `mqtt_disconnected`, `camera_offline:gate-1` */
  readonly reasons: readonly string[];
}

/** Resolved credentials (never references): a bearer token, or a basic-auth pair. */
export type MetricsAuth = { readonly bearerToken: string } | { readonly username: string; readonly password: string };

/** The validated `metrics.auth` section (secrets already resolved) as the server takes it. */
export function metricsAuthFrom(settings: MetricsAuthSettings | undefined): MetricsAuth | undefined {
  if (!settings) return undefined;
  if (settings.bearerToken !== undefined) return { bearerToken: settings.bearerToken };
  if (settings.username !== undefined && settings.password !== undefined) return { username: settings.username, password: settings.password };
  throw new ObserveError('auth_invalid', 'metrics.auth needs bearerToken, or username and password');
}

export interface HttpServerDeps {
  /** default 127.0.0.1: metrics stay on the box unless the operator opens them up */
  readonly host?: string;
  /** default 9464; 0 picks a free port (tests) */
  readonly port?: number;
  readonly registry: Registry;
  readonly readiness: () => Readiness;
  readonly logger: Logger;
  /**
   * Required for a non-loopback host. Guards /metrics and /readyz; /healthz stays open so a
   * container HEALTHCHECK or a watchdog on the box needs no secret, and it says no more than "ok".
   */
  readonly auth?: MetricsAuth;
  /** removes every resolved secret from the /metrics and /readyz bodies (label values, readiness reasons) */
  readonly scrubber?: SecretScrubber;
}

export const DEFAULT_METRICS_HOST = '127.0.0.1';
export const DEFAULT_METRICS_PORT = 9464;

const PROTECTED_PATHS = new Set(['/metrics', '/readyz']);

/**
 * `/metrics` (Prometheus text), `/healthz` (the process answers), `/readyz` (the agent can do its
 * job: 503 with reasons otherwise). Nothing else, so the port exposes no more than it must.
 * Listening beyond loopback needs credentials; a request without the right ones gets 401.
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
    if (!isLoopbackHost(host) && !this.deps.auth) {
      throw new ObserveError(
        'auth_required',
        `refusing to serve metrics on ${host}:${port} without credentials: set metrics.auth (a bearer token or username and password) or bind 127.0.0.1`,
      );
    }
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
    if (PROTECTED_PATHS.has(path) && this.deps.auth && !isAuthorized(req.headers.authorization, this.deps.auth)) {
      res.setHeader('WWW-Authenticate', 'bearerToken' in this.deps.auth ? 'Bearer realm="c5-agent"' : 'Basic realm="c5-agent", charset="UTF-8"');
      send(res, 401, 'text/plain; charset=utf-8', 'unauthorized\n', req.method === 'HEAD');
      return;
    }
    if (path === '/metrics') {
      const body = this.scrub(await this.deps.registry.metrics());
      send(res, 200, this.deps.registry.contentType, body, req.method === 'HEAD');
      return;
    }
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok' }, req.method === 'HEAD');
      return;
    }
    const readiness = this.readiness();
    send(res, readiness.ready ? 200 : 503, 'application/json; charset=utf-8', this.scrub(`${JSON.stringify(readiness)}\n`), req.method === 'HEAD');
  }

  private scrub(body: string): string {
    return this.deps.scrubber ? this.deps.scrubber.scrub(body) : body;
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

/** Compares digests, so neither the content nor the length of a secret leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function isAuthorized(header: string | undefined, auth: MetricsAuth): boolean {
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header ?? '');
  const scheme = match?.[1]?.toLowerCase();
  const credentials = match?.[2] ?? '';
  if ('bearerToken' in auth) return scheme === 'bearer' && sameSecret(credentials, auth.bearerToken);
  if (scheme !== 'basic') return false;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both halves are compared before deciding, so a right username takes no less time than a wrong one.
  const userOk = sameSecret(decoded.slice(0, colon), auth.username);
  const passwordOk = sameSecret(decoded.slice(colon + 1), auth.password);
  return userOk && passwordOk;
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
