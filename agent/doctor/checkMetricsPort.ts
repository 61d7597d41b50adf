import { request } from 'node:http';
import { createServer, isIPv6 } from 'node:net';
import { fail, pass, type CheckOutcome, type DoctorCheck } from './DoctorCheck.js';
import type { DoctorContext } from './DoctorContext.js';

/**
 * The metrics endpoint's port is free (listen on the configured host and port, then close), or
 * already held by a c5-agent that answers /healthz there: the doctor is often run beside the
 * running agent, so that passes, saying so. Anything else holding it fails: the agent would not start.
 */
export function metricsPortCheck(context: DoctorContext): DoctorCheck {
  const { host, port } = context.config.metrics;
  return {
    id: 'metrics-port',
    title: 'metrics port',
    family: 'metrics',
    timeoutMs: context.timeoutMs,
    run: (signal) => checkMetricsPort(host, port, signal),
  };
}

async function checkMetricsPort(host: string, port: number, signal: AbortSignal): Promise<CheckOutcome> {
  const where = `${isIPv6(host) ? `[${host}]` : host}:${port}`;
  if (port === 0) return pass(`${host}: port 0, a free port is chosen at each start`);
  const error = await tryListen(host, port);
  if (error === undefined) return pass(`${where} is free`);
  if (error.code === 'EADDRINUSE') {
    const answer = await healthz(host, port, signal);
    if (answer === 'agent') return pass(`${where} is in use by a running c5-agent (it answers /healthz)`);
    return fail(`${where} is in use by another program${answer ? ` (${answer})` : ''}: the agent could not serve its metrics`);
  }
  if (error.code === 'EADDRNOTAVAIL') return fail(`${where}: ${host} is not an address of this box (metrics.host)`);
  if (error.code === 'EACCES') return fail(`${where}: not allowed to listen there (ports under 1024 need privileges)`);
  return fail(`${where}: cannot listen (${error.code ?? error.message})`);
}

function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** 'agent' when /healthz says `{"status":"ok"}`, else a few words on what answered. */
function healthz(host: string, port: number, signal: AbortSignal): Promise<string | undefined> {
  // A wildcard listener is reached on loopback.
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return new Promise((resolve) => {
    const req = request({ host: target, port, path: '/healthz', method: 'GET', signal, timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 1024) body += chunk;
      });
      res.on('end', () => resolve(res.statusCode === 200 && /"status"\s*:\s*"ok"/.test(body) ? 'agent' : `/healthz answered HTTP ${String(res.statusCode)}`));
      res.on('error', () => resolve('its answer broke off'));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
