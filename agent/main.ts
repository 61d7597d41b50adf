#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AgentError, toError } from '../pipelines/errors.js';
import { systemClock } from './clock.js';
import { loadSiteConfigFile } from './config/loadSiteConfig.js';
import { runDemo } from './demo/runDemo.js';
import { defaultCacheDir, loadModelRegistry, packageRoot } from './inference/modelFiles.js';
import { pullModel } from './inference/pullModel.js';
import { createRootLogger, type Logger } from './observe/logger.js';
import { startAgent, type RunningAgent } from './startAgent.js';

const USAGE = `c5-agent: edge analytics agent for city camera sites

Usage:
  c5-agent run --config site.yaml      run the agent on a site config
  c5-agent config validate site.yaml   check a site config; errors name the field
  c5-agent demo [--clip FILE] [--duration SECONDS] [--metrics-port N]
                                       the shared clip through the whole agent, with an
                                       embedded broker on loopback, printing each alert
  c5-agent models pull [NAME]          download a model into models/cache (sha256 checked)
  c5-agent --version

Environment: C5_MODELS_DIR (mirror folder for model weights), C5_MEDIA_DIR (demo clip),
FFMPEG_PATH, C5_LOG_LEVEL (trace, debug, info, warn, error).`;

function agentVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** Stops on SIGINT/SIGTERM; a second signal exits at once. */
function stopOnSignals(stop: () => Promise<void>, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) process.exit(130);
      signalled = true;
      logger.info({ signal }, 'shutting down');
      stop().then(resolve, (error: unknown) => {
        logger.error({ err: toError(error) }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function run(args: string[], logger: Logger): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  if (!values.config) throw new AgentError('usage', 'run needs --config site.yaml');
  const loaded = loadSiteConfigFile(values.config, process.env);
  const running: RunningAgent = await startAgent({ loaded, env: process.env, clock: systemClock, logger, version: agentVersion() });
  await stopOnSignals(() => running.stop(), logger);
  return 0;
}

function validate(args: string[]): number {
  const [file] = args;
  if (!file) throw new AgentError('usage', 'config validate needs a file: c5-agent config validate site.yaml');
  const { config, sha256 } = loadSiteConfigFile(file, process.env);
  process.stdout.write(
    `ok: ${file}: site ${config.site.id}, version ${config.version}, ${config.cameras.length} camera(s), sha256 ${sha256}\n`,
  );
  return 0;
}

async function pull(args: string[], logger: Logger): Promise<number> {
  const name = args[0] ?? 'yolox-nano';
  const registry = await loadModelRegistry();
  const pulled = await pullModel({ name, registry, cacheDir: defaultCacheDir(), logger, progress: process.stderr });
  process.stdout.write(`${pulled.downloaded ? 'downloaded' : 'already present'}: ${pulled.path} (sha256 ${pulled.sha256})\n`);
  return 0;
}

async function demo(args: string[], logger: Logger): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { clip: { type: 'string' }, duration: { type: 'string' }, 'metrics-port': { type: 'string' } },
  });
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0)) throw new AgentError('usage', `--duration must be a positive number of seconds, got "${values.duration}"`);
  const metricsPort = values['metrics-port'] === undefined ? undefined : Number(values['metrics-port']);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await runDemo({
    clip: values.clip,
    durationSeconds: duration,
    metricsPort,
    env: process.env,
    clock: systemClock,
    logger,
    version: agentVersion(),
    out: process.stdout,
    signal: controller.signal,
  });
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // The demo prints alerts to stdout, so its own logs stay quiet unless asked for.
  const logger = createRootLogger({ level: process.env['C5_LOG_LEVEL'] ?? (command === 'demo' ? 'warn' : 'info') });
  switch (command) {
    case 'run':
      return await run(rest, logger);
    case 'config':
      if (rest[0] === 'validate') return validate(rest.slice(1));
      break;
    case 'demo':
      return await demo(rest, logger);
    case 'models':
      if (rest[0] === 'pull') return await pull(rest.slice(1), logger);
      break;
    case '--version':
    case 'version':
      process.stdout.write(`${agentVersion()}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      break;
  }
  process.stderr.write(`c5-agent: unknown command "${argv.join(' ')}"\n\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const err = toError(error);
    const code = err instanceof AgentError ? ` [${err.code}]` : '';
    process.stderr.write(`c5-agent: ${err.message}${code}\n`);
    if (!(err instanceof AgentError)) process.stderr.write(`${err.stack ?? ''}\n`);
    process.exitCode = 1;
  },
);
