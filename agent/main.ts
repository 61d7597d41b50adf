#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AgentError, ConfigError, toError } from '../pipelines/errors.js';
import { systemClock } from './clock.js';
import { loadSiteConfigFile, MAX_CONFIG_FILE_BYTES, parseSiteConfigText, readSiteConfigBytes } from './config/loadSiteConfig.js';
import { generateKeys, looksLikeEnvelope, signConfigFile, validateEnvelopeFile } from './fleet/fleetCommands.js';
import { runDemo } from './demo/runDemo.js';
import { defaultCacheDir, loadModelRegistry, packageRoot } from './inference/modelFiles.js';
import { pullModel } from './inference/pullModel.js';
import { auditCommand } from './audit/auditCommand.js';
import { replayCommand } from './replay/replayCommand.js';
import { createRootLogger, type Logger } from './observe/logger.js';
import { SecretScrubber } from './observe/SecretScrubber.js';
import { startAgent, type RunningAgent } from './startAgent.js';

const USAGE = `c5-agent: edge analytics agent for city camera sites

Usage:
  c5-agent run --config site.yaml      run the agent on a site config; SIGHUP re-reads the file
                                       and applies it as a push (a higher version only), SIGTERM
                                       or SIGINT stop it (every camera and the site say offline)
  c5-agent config validate site.yaml   check a site config; errors name the field
  c5-agent config validate envelope.json [--trusted trusted-keys.json]
                                       check a signed envelope's config (and signature)
  c5-agent config sign --key KEY.pem [--key-id ID] [--expires-in 24h|none] site.yaml
                                       print a signed config envelope for a fleet push
  c5-agent keys generate --out DIR [--key-id ID]
                                       new Ed25519 signing key DIR/ID.key.pem (mode 0600);
                                       its public key is added to DIR/trusted-keys.json
  c5-agent demo [--clip FILE] [--duration SECONDS] [--metrics-port N]
                                       the shared clip through the whole agent, with an
                                       embedded broker on loopback, printing each alert
  c5-agent models pull [NAME]          download a model into models/cache (sha256 checked)
  c5-agent audit verify [DIR]          check the audit log's hash chain: OK, or the first
                                       broken record (edited, removed, reordered, truncated)
  c5-agent audit verify DIR --checkpoints FILE [--public-key KEY]
                                       also check the log against the signed checkpoints the
                                       centre kept (JSON Lines or an array): a record rewritten
                                       after one was signed is caught; KEY: the box's base64 key
  c5-agent audit explain ALERT_ID [--dir DIR]
                                       the decision trail behind one alert
  c5-agent replay --config site.yaml [--camera ID] --input clip.mp4 --out decisions.jsonl
                  [--start ISO-TIME]   a camera's pipeline over a recorded clip, every frame,
                                       one JSON line per decision; two runs write the same file
  c5-agent --version

Environment: C5_MODELS_DIR (mirror folder for model weights), C5_MEDIA_DIR (demo clip),
C5_AUDIT_DIR (audit log folder when the config sets none), FFMPEG_PATH,
C5_LOG_LEVEL (trace, debug, info, warn, error).`;

function agentVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/**
 * systemd (TimeoutStopSec) and `docker stop` send SIGKILL 10 s after SIGTERM; the agent is gone
 * before that, on its own terms, even if a component's shutdown hangs or leaves a handle open.
 */
const SHUTDOWN_DEADLINE_MS = 9_000;

/**
 * Resolves on the first SIGINT/SIGTERM. Installed before start-up, so a signal during start-up
 * still gets the orderly stop once the agent is up. A second signal exits at once.
 */
function nextStopSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) process.exit(130);
      signalled = true;
      logger.info({ signal, deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutting down');
      // unref()ed: it never keeps the process alive, and still fires while anything else does
      setTimeout(() => {
        logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time; exiting');
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS).unref();
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * SIGHUP re-reads the --config file and applies it as a push would be (RunningAgent.reload).
 * Installed before start-up: Node's default for SIGHUP is to terminate, with no orderly stop; a
 * SIGHUP during start-up reloads once the agent is up. Returns the function that attaches the agent.
 */
function reloadOnHangup(logger: Logger): (running: RunningAgent) => void {
  let agent: RunningAgent | undefined;
  let missed = false;
  const reload = (running: RunningAgent): void => {
    running.reload().then(
      (outcome) => logger.info({ status: outcome.status }, 'config file reload handled'),
      (error: unknown) => logger.error({ err: toError(error) }, 'config file reload failed'),
    );
  };
  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 're-reading the config file');
    if (agent) reload(agent);
    else missed = true;
  });
  return (running) => {
    agent = running;
    if (missed) reload(running);
  };
}

/** Stops on SIGINT/SIGTERM within SHUTDOWN_DEADLINE_MS. */
async function stopOnSignals(stopSignal: Promise<NodeJS.Signals>, stop: () => Promise<void>, logger: Logger): Promise<void> {
  await stopSignal;
  await stop().catch((error: unknown) => logger.error({ err: toError(error) }, 'shutdown failed'));
}

async function run(args: string[], logger: Logger, scrubber: SecretScrubber): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  if (!values.config) throw new AgentError('usage', 'run needs --config site.yaml');
  const loaded = loadSiteConfigFile(values.config, process.env);
  const stopSignal = nextStopSignal(logger);
  const attachReload = reloadOnHangup(logger);
  const running: RunningAgent = await startAgent({ loaded, env: process.env, clock: systemClock, logger, version: agentVersion(), scrubber });
  attachReload(running);
  await stopOnSignals(stopSignal, () => running.stop(), logger);
  return 0;
}

function validate(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { trusted: { type: 'string' } } });
  const [file] = positionals;
  if (!file) throw new AgentError('usage', 'config validate needs a file: c5-agent config validate site.yaml');
  // Bounded and regular files only (a FIFO or /dev/zero is refused at once). An envelope carries
  // the config base64-encoded (4/3 of its size) and a signature, so it may be up to twice the cap.
  const bytes = readValidatedBytes(file);
  if (looksLikeEnvelope(bytes)) {
    const line = validateEnvelopeFile({ path: file, bytes, trustedKeysFile: values.trusted, env: process.env, now: Date.now() });
    process.stdout.write(`${line}\n`);
    return 0;
  }
  const { config, sha256 } = parseSiteConfigText(bytes.toString('utf8'), file, process.env);
  process.stdout.write(`ok: ${file}: site ${config.site.id}, version ${config.version}, ${config.cameras.length} camera(s), sha256 ${sha256}\n`);
  return 0;
}

/** Names both limits: a file over the envelope's is over a site config's too. */
function readValidatedBytes(file: string): Buffer {
  const envelopeLimit = 2 * MAX_CONFIG_FILE_BYTES;
  try {
    return readSiteConfigBytes(file, envelopeLimit);
  } catch (error) {
    if (!(error instanceof AgentError) || error.code !== 'config_too_large') throw error;
    throw new ConfigError('config_too_large', `${file}: too large: a site config may have ${MAX_CONFIG_FILE_BYTES} bytes, a signed envelope ${envelopeLimit}`, {
      cause: error,
    });
  }
}

function sign(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { key: { type: 'string' }, 'key-id': { type: 'string' }, 'expires-in': { type: 'string' } },
  });
  const [configPath] = positionals;
  if (!configPath || !values.key) throw new AgentError('usage', 'config sign needs --key KEY.pem and a file: c5-agent config sign --key k.pem site.yaml');
  const envelope = signConfigFile({ configPath, keyPath: values.key, keyId: values['key-id'], expiresIn: values['expires-in'], now: Date.now() });
  process.stdout.write(`${JSON.stringify(envelope)}\n`);
  return 0;
}

async function keys(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' }, 'key-id': { type: 'string' } } });
  if (!values.out) throw new AgentError('usage', 'keys generate needs --out DIR');
  const key = await generateKeys({ out: values.out, keyId: values['key-id'] });
  process.stdout.write(
    `key ${key.keyId}: private ${key.privateKeyPath} (mode 0600, keep it off the edge boxes)\n` +
      `trusted keys: ${key.trustedKeysPath} (install on each box as fleet.trustedKeysFile)\n` +
      `sign with: c5-agent config sign --key ${key.privateKeyPath} --key-id ${key.keyId} site.yaml > envelope.json\n`,
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
  // These print their results to stdout, so their own logs stay quiet unless asked for.
  const quiet = command === 'demo' || command === 'audit' || command === 'replay';
  // Filled by startAgent with every secret the config resolves; every log line passes through it.
  const scrubber = new SecretScrubber();
  const logger = createRootLogger({ level: process.env['C5_LOG_LEVEL'] ?? (quiet ? 'warn' : 'info'), scrubber });
  switch (command) {
    case 'run':
      return await run(rest, logger, scrubber);
    case 'config':
      if (rest[0] === 'validate') return validate(rest.slice(1));
      if (rest[0] === 'sign') return sign(rest.slice(1));
      break;
    case 'keys':
      if (rest[0] === 'generate') return await keys(rest.slice(1));
      break;
    case 'audit': {
      const code = auditCommand(rest, { env: process.env, out: process.stdout });
      if (code !== undefined) return code;
      break;
    }
    case 'replay':
      return await replayCommand(rest, { env: process.env, logger, version: agentVersion(), out: process.stdout });
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
