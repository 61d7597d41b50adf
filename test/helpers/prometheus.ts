import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { freePort } from './freePort.js';

export const PROMETHEUS_PATH = process.env['C5_PROMETHEUS'] ?? '/usr/bin/prometheus';

export interface PrometheusOptions {
  /** `host:port` of each scrape target (loopback) */
  readonly targets: readonly string[];
  /** the scrape job's name; the shipped rules expect `c5-agent` */
  readonly job?: string;
  /** sent as `Authorization: Bearer ...`, from a credentials file as an operator would */
  readonly bearerToken?: string;
  /** scrape and rule evaluation interval; default 1 s so rate() has samples within seconds */
  readonly intervalSeconds?: number;
  /** rule files to load (absolute paths) */
  readonly ruleFiles?: readonly string[];
  readonly readyTimeoutMs?: number;
}

export interface PromSample {
  readonly metric: Record<string, string>;
  /** [unix seconds, value as text ("NaN", "+Inf" included)] */
  readonly value: [number, string];
}

export interface Prometheus {
  readonly url: string;
  /** GET /api/v1/query: an instant vector (throws with Prometheus's error text for bad PromQL) */
  query(expr: string): Promise<PromSample[]>;
  /** GET any /api/v1 path, returning `data` */
  api<T>(path: string): Promise<T>;
  /** SIGTERM, then SIGKILL; removes the storage directory; idempotent */
  stop(): Promise<void>;
  logs(): string;
}

const LOG_LIMIT = 64 * 1024;
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A real Prometheus (the Debian package) on a free loopback port, storing into a temp dir. */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'c5-prometheus-'));
  const port = await freePort();
  const interval = `${options.intervalSeconds ?? 1}s`;
  const scrape: Record<string, unknown> = {
    job_name: options.job ?? 'c5-agent',
    scrape_interval: interval,
    scrape_timeout: interval,
    static_configs: [{ targets: options.targets }],
  };
  if (options.bearerToken !== undefined) {
    await writeFile(join(dir, 'token'), options.bearerToken, { mode: 0o600 });
    scrape['authorization'] = { type: 'Bearer', credentials_file: join(dir, 'token') };
  }
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [scrape],
  };
  await writeFile(join(dir, 'prometheus.yml'), toYaml(config));

  const child = spawn(
    PROMETHEUS_PATH,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  live.add(child);
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-LOG_LIMIT);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      resolve();
    });
  });
  const url = `http://127.0.0.1:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exit;
        clearTimeout(killer);
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`prometheus exited during start-up:\n${log}`);
    }
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready on ${url} within ${readyTimeoutMs} ms:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}/api/v1/${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.errorType ?? ''} ${body.error ?? res.status}`);
    return body.data;
  };
  const query = async (expr: string): Promise<PromSample[]> => {
    const data = await api<{ resultType: string; result: PromSample[] }>(`query?query=${encodeURIComponent(expr)}`);
    if (data.resultType !== 'vector') throw new Error(`expected an instant vector from ${expr}, got ${data.resultType}`);
    return data.result;
  };
  return { url, query, api, stop, logs: () => log };
}
