import { Command, CommanderError, Option } from 'commander';
import { AgentError, toError } from '../../pipelines/errors.js';
import { auditExplainCommand } from '../audit/auditExplainCommand.js';
import { auditVerifyCommand } from '../audit/auditVerifyCommand.js';
import { consumeCommand, type ConsumeOptions } from '../consume/consumeCommand.js';
import { validateCommand } from '../config/validateCommand.js';
import { demoCommand } from '../demo/demoCommand.js';
import { keysGenerateCommand } from '../fleet/keysGenerateCommand.js';
import { fleetRenderCommand } from '../fleet/repo/fleetRenderCommand.js';
import { fleetValidateCommand } from '../fleet/repo/fleetValidateCommand.js';
import { signCommand } from '../fleet/signCommand.js';
import { addFleetBrokerOptions } from '../fleet/tools/connectFleetBroker.js';
import { planCommand, type PlanOptions } from '../fleet/tools/planCommand.js';
import { PUSH_DEFAULTS, pushCommand, type PushOptions } from '../fleet/tools/pushCommand.js';
import { statusCommand, type StatusOptions } from '../fleet/tools/statusCommand.js';
import { pullCommand } from '../inference/pullCommand.js';
import { quoteUntrusted } from '../../pipelines/untrustedText.js';
import { createRootLogger, LOG_FORMATS, type LogFormat } from '../observe/logger.js';
import { doctorCommand } from '../doctor/doctorCommand.js';
import { snapshotCommand } from '../snapshot/snapshotCommand.js';
import { capacityCommand } from '../capacity/capacityCommand.js';
import { SecretScrubber } from '../observe/SecretScrubber.js';
import { replayCommand } from '../replay/replayCommand.js';
import type { CommandIo } from './CommandIo.js';
import { EXIT, exitCodeFor } from './exitCodes.js';
import { checkList, cpuCores, nonNegativeSeconds, port, positiveInteger, positiveSeconds } from './optionParsers.js';
import { runCommand } from './runCommand.js';

export interface ProgramIo {
  readonly env: NodeJS.ProcessEnv;
  readonly out: CommandIo['out'];
  readonly err: CommandIo['err'];
  readonly version: string;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

const HELP_FOOTER = `
Exit codes: 0 ok, 1 failure, 2 usage error, 3 integrity broken (audit verify),
            4 invalid signature (config validate of an envelope).

Environment: C5_MODELS_DIR (mirror folder for model weights), C5_MEDIA_DIR (demo clip),
C5_AUDIT_DIR (audit log folder when the config sets none), FFMPEG_PATH,
C5_LOG_LEVEL (trace, debug, info, warn, error).`;

interface GlobalOptions {
  readonly logLevel?: string;
  readonly logFormat: LogFormat;
}

/**
 * The `c5-agent` command line on commander: help on every command, suggestions for mistyped
 * commands and flags, and the exit codes of exitCodes.ts. Nothing here calls process.exit: the
 * code comes back to main.ts, so tests can drive the whole program in-process.
 */
export async function runProgram(argv: readonly string[], io: ProgramIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  // Filled by startAgent with every secret the config resolves; every log line passes through it.
  const scrubber = new SecretScrubber();

  /** Commands that print results keep their own logs quiet unless asked (--log-level). */
  const commandIo = (command: Command, defaultLevel: string): CommandIo => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const level = globals.logLevel ?? io.env['C5_LOG_LEVEL'] ?? defaultLevel;
    const logger = createRootLogger({ level, scrubber, format: globals.logFormat });
    return { env: io.env, out: io.out, err: io.err, logger, version: io.version };
  };
  /** Wraps an action: its number is the exit code. */
  const act =
    <A extends unknown[]>(defaultLevel: string, action: (io: CommandIo, ...args: A) => number | Promise<number>) =>
    async (...args: A): Promise<void> => {
      const command = args[args.length - 1] as Command;
      checkRequiredOptions(command);
      exitCode = await action(commandIo(command, defaultLevel), ...args);
    };

  const program = new Command('c5-agent')
    .description('Edge analytics agent for city camera sites: RTSP cameras in, structured MQTT alerts out; video never leaves the box.')
    .version(io.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .addOption(new Option('--log-level <level>', 'log level (default: info for run, warn for the rest; env C5_LOG_LEVEL)').choices(LOG_LEVELS))
    .addOption(new Option('--log-format <format>', 'logs as JSON, or pretty for people (auto: pretty on a terminal)').choices([...LOG_FORMATS]).default('auto'))
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out.write(text), writeErr: (text) => io.err.write(text) })
    .addHelpText('after', HELP_FOOTER);
  // every subcommand inherits exitOverride, output and suggestion settings from its parent
  const sub = (parent: Command, name: string, description: string): Command =>
    parent.command(name).description(description).copyInheritedSettings(parent).exitOverride();

  sub(program, 'run', 'run the agent on a site config; SIGHUP re-reads it, SIGTERM/SIGINT stop it in order')
    .addOption(required('-c, --config <file>', 'the site config (YAML or JSON)'))
    .action(act('info', (cio, options: { config: string }) => runCommand(options, cio, scrubber)));

  const config = sub(program, 'config', 'check and sign site configs');
  sub(config, 'validate', 'check a site config (schema, labels against the model, secrets), or a signed envelope (and its signature); errors name the field')
    .argument('<file>', 'a site config (YAML or JSON) or a signed envelope (JSON)')
    .option('--trusted <file>', "trusted-keys file: check an envelope's signature against it")
    .option(
      '--no-secrets',
      'check everything but the secrets: list each env:/file: reference instead of resolving it (for checking a config away from the box)',
    )
    .action(act('warn', (cio, file: string, options: { trusted?: string; secrets: boolean }) => validateCommand({ file, ...options }, cio)));
  sub(config, 'sign', 'print a signed config envelope for a fleet push')
    .argument('<file>', 'the site config to sign')
    .addOption(required('--key <file>', 'the Ed25519 signing key (PEM)'))
    .option('--key-id <id>', 'the key id the boxes trust it under (default: the id the trusted-keys file gives this key, else its fingerprint)')
    .option('--trusted <file>', "the boxes' trusted-keys file to check the key id against (default: trusted-keys.json beside --key)")
    .option('--expires-in <duration>', 'how long the push stays valid: 90s, 30m, 24h, 7d or none', '24h')
    .action(
      act('warn', (cio, file: string, options: { key: string; keyId?: string; trusted?: string; expiresIn: string }) => signCommand({ file, ...options }, cio)),
    );

  const keys = sub(program, 'keys', 'config-signing keys');
  sub(keys, 'generate', 'a new Ed25519 signing key DIR/ID.key.pem (mode 0600); its public key joins DIR/trusted-keys.json')
    .addOption(required('--out <dir>', 'folder for the key and trusted-keys.json'))
    .option('--key-id <id>', "the key id (default: the key's fingerprint)")
    .action(act('warn', (cio, options: { out: string; keyId?: string }) => keysGenerateCommand(options, cio)));

  sub(program, 'demo', 'the shared clip through the whole agent, with an embedded broker on loopback, printing each alert')
    .option('--clip <file>', 'a video file instead of the shared clip')
    .option('--duration <seconds>', 'stop after this long (default: until Ctrl-C)', positiveSeconds)
    .option('--metrics-port <port>', 'port for /metrics (0: any free port)', port)
    .action(
      act('warn', (cio, options: { clip?: string; duration?: number; metricsPort?: number }) =>
        demoCommand({ clip: options.clip, durationSeconds: options.duration, metricsPort: options.metricsPort }, cio),
      ),
    );

  sub(program, 'doctor', 'check the box against a site config: ffmpeg, models, cameras, brokers, folders, clock, metrics port')
    .addOption(required('-c, --config <file>', 'the site config to check the box against'))
    .option('--json', 'print the JSON report (c5.doctor.v1) instead of the table')
    .option('--timeout <seconds>', 'time limit of each check but the camera and decoding ones (default: 5)', positiveSeconds)
    .option('--camera-timeout <seconds>', 'time limit of each camera probe and hardware-decoding trial (default: 10)', positiveSeconds)
    .option('--only <checks>', 'run only these: ffmpeg,hwdecode,models,cameras,brokers,storage,clock,metrics', checkList)
    .option('--skip <checks>', 'leave these out (not with --only)', checkList)
    .action(
      act('warn', (cio, options: { config: string; json?: boolean; timeout?: number; cameraTimeout?: number; only?: string[]; skip?: string[] }) =>
        doctorCommand(
          {
            config: options.config,
            json: options.json,
            timeoutSeconds: options.timeout,
            cameraTimeoutSeconds: options.cameraTimeout,
            only: options.only,
            skip: options.skip,
          },
          cio,
        ),
      ),
    );

  sub(program, 'capacity', 'how many cameras this box holds: decodes each camera a few seconds, times the model, compares with the cores')
    .addOption(required('-c, --config <file>', 'the site config whose cameras to measure'))
    .option('--seconds <seconds>', 'seconds of each camera to decode (default: 5)', positiveSeconds)
    .option('--cores <n>', 'cores the agent may use, when fewer than the machine has, e.g. a container quota of 1.5 (default: all)', cpuCores)
    .option('--json', 'print the figures as JSON instead of the table')
    .action(act('warn', (cio, options: { config: string; seconds?: number; cores?: number; json?: boolean }) => capacityCommand(options, cio)));

  sub(
    program,
    'snapshot',
    'one current frame of a camera with its zones, lines (in-arrows) and masks drawn, to draw zones on; writes a local PNG, publishes nothing',
  )
    .option('-c, --config <file>', 'the site config (needed unless --input)')
    .option('--camera <id>', 'the camera to grab (may be left out when the config has one)')
    .addOption(required('-o, --out <file.png>', 'the PNG to write; replaced atomically, never a folder'))
    .option('--input <file>', 'a recorded clip or image instead of the live camera')
    .option('--at <seconds>', 'with --input: seconds into the clip (default: 0)', nonNegativeSeconds)
    .option('--detect [seconds]', "run the camera's model and tracker over this many seconds and draw boxes and track ids (default: 3)", positiveSeconds)
    .option('--timeout <seconds>', 'give up on the camera after this long (default: 15)', positiveSeconds)
    .action(
      act('warn', (cio, options: { config?: string; camera?: string; out: string; input?: string; at?: number; detect?: boolean | number; timeout?: number }) =>
        snapshotCommand(options, cio),
      ),
    );

  const models = sub(program, 'models', 'detection model weights');
  sub(models, 'pull', 'download a model into models/cache (sha256 checked)')
    .argument('[name]', 'a model from models/registry.json', 'yolox-nano')
    .action(act('info', (cio, name: string) => pullCommand({ name }, cio)));

  const audit = sub(program, 'audit', 'the tamper-evident audit log');
  sub(audit, 'verify', "check the audit log's hash chain (and the centre's signed checkpoints): OK, or the first broken record")
    .argument('[dir]', "the audit log folder (default: C5_AUDIT_DIR, else the agent's default)")
    .option('--checkpoints <file>', 'signed checkpoints the centre kept (JSON Lines or an array)')
    .option('--public-key <key>', "the box's base64 public key, to check the checkpoints' signatures")
    .action(act('warn', (cio, dir: string | undefined, options: { checkpoints?: string; publicKey?: string }) => auditVerifyCommand({ dir, ...options }, cio)));
  sub(audit, 'explain', 'the decision trail behind one alert')
    .argument('<alert-id>', "the alert's id, as the centre received it")
    .option('--dir <dir>', 'the audit log folder')
    .action(act('warn', (cio, alertId: string, options: { dir?: string }) => auditExplainCommand({ alertId, ...options }, cio)));

  sub(program, 'replay', "a camera's pipeline over a recorded clip, every frame, one JSON line per decision; two runs write the same file")
    .addOption(required('-c, --config <file>', 'the site config'))
    .option('--camera <id>', 'the camera (needed when the site has several)')
    .addOption(required('--input <file>', 'the recorded clip'))
    .addOption(required('--out <file>', 'where the decisions go (JSON Lines)'))
    .option('--tracks <file>', "also write the tracker's live tracks, one JSON line per processed frame")
    .option('--start <iso-time>', "wall time of the clip's first frame, e.g. 2026-11-29T18:00:00Z")
    .action(
      act('warn', (cio, options: { config: string; camera?: string; input: string; out: string; tracks?: string; start?: string }) =>
        replayCommand(options, cio),
      ),
    );

  addFleetBrokerOptions(
    sub(program, 'consume', "the centre's reference consumer: validate every message against the contract, de-duplicate alerts, check seq order"),
  )
    .option('--site <id>', "only this site's topics (default: every site under --prefix)")
    .option('--json', 'one JSON line per message ({channel, topic, retained, message}) and a last {summary} line')
    .option('--count <n>', 'stop after this many distinct alerts', positiveInteger)
    .option('--duration <seconds>', 'stop after this long (default: until Ctrl-C)', positiveSeconds)
    .action(act('warn', (cio, options: ConsumeOptions) => consumeCommand(options, cio)));

  const fleet = sub(program, 'fleet', "the centre's fleet tools: site configs from a fleet repository, staged signed rollouts, applied state");
  // fleet subcommands: add each below this line.
  sub(fleet, 'render', "a site's effective config from the fleet repository: the exact text `fleet push` signs")
    .addOption(required('--site <id>', 'the site (sites/<id>.yaml)'))
    .option('--repo <dir>', 'the fleet repository (fleet.yaml, groups/, sites/)', '.')
    .option('--config-version <n>', 'the config version written into it (a push gives the real one)', positiveInteger, 1)
    .option('--json', 'the config as JSON instead of YAML')
    .action(
      act('warn', (cio, options: { site: string; repo: string; configVersion: number; json?: boolean }) =>
        fleetRenderCommand({ ...options, version: options.configVersion }, cio),
      ),
    );
  sub(fleet, 'validate', 'render and validate every site of the fleet repository; every problem at once, with site, file and field')
    .option('--repo <dir>', 'the fleet repository (fleet.yaml, groups/, sites/)', '.')
    .option('--json', 'one JSON report instead of lines')
    .action(act('warn', (cio, options: { repo: string; json?: boolean }) => fleetValidateCommand(options, cio)));
  addFleetBrokerOptions(
    sub(fleet, 'push', "sign each site's rendered config with one new version and publish it in waves: a canary, then growing waves, halting on failures"),
  )
    .option('--repo <dir>', 'the fleet repository (fleet.yaml, groups/, sites/)', '.')
    .option('--key <file>', 'the Ed25519 signing key (PEM); not needed with --dry-run')
    .option('--key-id <id>', 'the key id the boxes trust it under (default: from the trusted-keys file)')
    .option('--trusted <file>', "the boxes' trusted-keys file to check the key id against (default: trusted-keys.json beside --key)")
    .option('--sites <ids>', 'only these sites, comma-separated (default: every site of the repository)')
    .option('--canary <n|p%>', 'sites in the first wave: a count or a share of the sites to push', PUSH_DEFAULTS.canary)
    .option('--waves <p%,...>', 'cumulative share of the sites done after each later wave (100% is added if missing)', PUSH_DEFAULTS.waves)
    .option('--wave-deadline <duration>', 'every online site of a wave must report by then: 90s, 10m, 1h', PUSH_DEFAULTS.waveDeadline)
    .option('--max-failures <n|p%>', 'failures (rejected, rolled back, timed out) a wave may have and go on', PUSH_DEFAULTS.maxFailures)
    .option('--expires-in <duration>', 'envelope and MQTT message expiry: 90s, 30m, 24h, 7d or none', PUSH_DEFAULTS.expiresIn)
    // not --version: commander takes that as the program's own flag anywhere on the line
    .option('--config-version <n>', 'the config version to give (default: 1 + the highest any journal or site reports)', positiveInteger)
    .option('--state <dir>', 'the tool state folder: pushed/ texts and rollouts/ journals (default: REPO/.c5-fleet)')
    .option('--dry-run', 'print the waves (and the untouched sites, given --broker); publish nothing, need no key')
    .option('--resume <rollout-id>', 'continue an interrupted rollout (or latest): same version, same envelopes, done waves skipped')
    .option('--json', 'one JSON report on stdout; progress lines go to stderr')
    .action(act('warn', (cio, options: PushOptions & { configVersion?: number }) => pushCommand({ ...options, version: options.configVersion }, cio)));
  addFleetBrokerOptions(sub(fleet, 'status', "every site's desired and applied config version, verdict and cameras; exit 0 when the fleet has converged"))
    .option('--repo <dir>', 'judge the sites of this fleet repository (default: every site seen on the broker)')
    .option('--settle <seconds>', 'quiet time after the last retained message before the picture counts as complete (default: 3)', positiveSeconds)
    .option('--all', 'list every site, not only those not converged')
    .option('--json', 'every site as one JSON document')
    .action(act('warn', (cio, options: StatusOptions) => statusCommand(options, cio)));
  addFleetBrokerOptions(sub(fleet, 'plan', 'per site, what a push of the repository would change against what the site reports running; publishes nothing'))
    .option('--repo <dir>', 'the fleet repository (fleet.yaml, groups/, sites/)', '.')
    .option('--state <dir>', 'the tool state folder holding pushed/ (default: REPO/.c5-fleet)')
    .option('--json', 'one JSON document')
    .action(act('warn', (cio, options: PlanOptions) => planCommand(options, cio)));

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportFailure(error, io);
  }
}

/**
 * Commander checks required options before unknown ones, so `run --confg x.yaml` would say
 * "--config not specified" instead of suggesting it. Required options are checked here, after
 * commander has refused unknown flags, with commander's own wording and the usage exit code.
 */
const requiredOptions = new WeakSet<Option>();

function required(flags: string, description: string): Option {
  const option = new Option(flags, `${description} (required)`);
  requiredOptions.add(option);
  return option;
}

function checkRequiredOptions(command: Command): void {
  for (const option of command.options) {
    if (requiredOptions.has(option) && command.getOptionValue(option.attributeName()) === undefined) {
      command.error(`error: required option '${option.flags}' not specified`, { exitCode: EXIT.usage, code: 'commander.missingMandatoryOptionValue' });
    }
  }
}

/** Commander has already printed its own errors; an AgentError prints one line, anything else its stack. */
function reportFailure(error: unknown, io: ProgramIo): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    return EXIT.usage;
  }
  const err = toError(error);
  if (err instanceof AgentError) {
    io.err.write(`c5-agent: ${err.message} [${err.code}]\n`);
    return exitCodeFor(err);
  }
  io.err.write(`c5-agent: ${quoteUntrusted(err.message)}\n${err.stack ?? ''}\n`);
  return EXIT.failure;
}
