import { toError } from '../../pipelines/errors.js';
import { systemClock } from '../clock.js';
import { loadSiteConfigFile } from '../config/loadSiteConfig.js';
import type { Logger } from '../observe/logger.js';
import type { SecretScrubber } from '../observe/SecretScrubber.js';
import { startAgent, type RunningAgent } from '../startAgent.js';
import type { CommandIo } from './CommandIo.js';
import { EXIT } from './exitCodes.js';

export interface RunOptions {
  readonly config: string;
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
        process.exit(EXIT.failure);
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

/**
 * `c5-agent run --config site.yaml`: runs until SIGINT/SIGTERM, then stops in order (every camera
 * and the site say offline) within SHUTDOWN_DEADLINE_MS. The scrubber is the one the root logger
 * writes through: startAgent fills it with every secret the config resolves.
 */
export async function runCommand(options: RunOptions, io: CommandIo, scrubber: SecretScrubber): Promise<number> {
  const { logger } = io;
  const loaded = loadSiteConfigFile(options.config, io.env);
  const stopSignal = nextStopSignal(logger);
  const attachReload = reloadOnHangup(logger);
  const running = await startAgent({ loaded, env: io.env, clock: systemClock, logger, version: io.version, scrubber });
  attachReload(running);
  await stopSignal;
  await running.stop().catch((error: unknown) => logger.error({ err: toError(error) }, 'shutdown failed'));
  return EXIT.ok;
}
