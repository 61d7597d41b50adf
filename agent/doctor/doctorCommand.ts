import type { SiteConfig } from '../../pipelines/config/siteConfig.js';
import { AgentError, toError } from '../../pipelines/errors.js';
import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { configSecrets } from '../config/configSecrets.js';
import { loadSiteConfigFile } from '../config/loadSiteConfig.js';
import { resolveFfmpegPath } from '../ingest/resolveFfmpegPath.js';
import { SecretScrubber } from '../observe/SecretScrubber.js';
import { brokerChecks } from './checkBrokers.js';
import { cameraChecks } from './checkCameras.js';
import { clockCheck, type ClockCheckOptions } from './checkClock.js';
import { ffmpegCheck } from './checkFfmpeg.js';
import { hwDecodeChecks, type HwDecodeCheckOptions } from './checkHwDecode.js';
import { metricsPortCheck } from './checkMetricsPort.js';
import { modelChecks, type ModelCheckOptions } from './checkModels.js';
import { storageChecks, type StorageThresholds } from './checkStorage.js';
import { CHECK_FAMILIES, type CheckFamily, type DoctorCheck, type DoctorResult } from './DoctorCheck.js';
import type { DoctorContext } from './DoctorContext.js';
import { doctorReport, formatDoctorJson, formatDoctorTable } from './formatDoctorReport.js';
import { DEFAULT_DOCTOR_CONCURRENCY, runDoctorChecks } from './runDoctorChecks.js';

export const DEFAULT_CHECK_TIMEOUT_SECONDS = 5;
export const DEFAULT_CAMERA_TIMEOUT_SECONDS = 10;
/** Past this a check is not "bounded" for someone waiting at the pole. */
const MAX_TIMEOUT_SECONDS = 600;

export interface DoctorOptions {
  /** the site config to check the box against */
  readonly config: string;
  /** print the JSON report instead of the table */
  readonly json?: boolean;
  /** time limit of each check but the camera and decoding ones; default 5 */
  readonly timeoutSeconds?: number;
  /** time limit of each camera probe and hardware-decoding trial; default 10 */
  readonly cameraTimeoutSeconds?: number;
  /** run only these check families */
  readonly only?: readonly string[];
  /** leave these check families out */
  readonly skip?: readonly string[];
}

/** Seams for tests; the CLI passes none. */
export interface DoctorDeps {
  readonly models?: ModelCheckOptions;
  readonly hwDecode?: HwDecodeCheckOptions;
  readonly storage?: StorageThresholds;
  readonly clock?: ClockCheckOptions;
  readonly concurrency?: number;
}

/**
 * `c5-agent doctor --config site.yaml`: checks the box against the config, before or after
 * installing, each check bounded in time, and prints one row per check (or JSON). Exit 0 when
 * nothing failed (warnings allowed), 1 when something did, usage errors throw (exit 2). The
 * config's resolved secrets are scrubbed from everything printed, behind the checks' own
 * redaction of URLs.
 */
export async function doctorCommand(options: DoctorOptions, io: CommandIo, deps: DoctorDeps = {}): Promise<number> {
  const families = selectFamilies(options);
  const timeoutMs = seconds(options.timeoutSeconds, DEFAULT_CHECK_TIMEOUT_SECONDS, '--timeout');
  const cameraTimeoutMs = seconds(options.cameraTimeoutSeconds, DEFAULT_CAMERA_TIMEOUT_SECONDS, '--camera-timeout');
  const scrubber = new SecretScrubber();
  const print = (results: readonly DoctorResult[]): number => {
    const report = doctorReport(options.config, results);
    io.out.write(scrubber.scrub(options.json ? formatDoctorJson(report) : formatDoctorTable(report)));
    return report.ok ? EXIT.ok : EXIT.failure;
  };

  let loaded;
  try {
    loaded = loadSiteConfigFile(options.config, io.env);
  } catch (error) {
    // The loader names every bad field and never a secret's value; with no valid config there is nothing else to check.
    return print([configFailure(error)]);
  }
  const { config } = loaded;
  scrubber.addAll(configSecrets(config));
  const configRow: DoctorResult = {
    id: 'config',
    title: 'config',
    status: 'pass',
    reason: `${options.config}: site ${config.site.id}, version ${config.version}, ${config.cameras.length} camera${config.cameras.length === 1 ? '' : 's'}`,
    details: [`sha256: ${loaded.sha256}`],
  };
  const context: DoctorContext = { config, env: io.env, logger: io.logger, ffmpeg: findFfmpeg(config, io), timeoutMs, cameraTimeoutMs };
  const checks = buildChecks(context, families, deps);
  const results = await runDoctorChecks(checks, deps.concurrency ?? DEFAULT_DOCTOR_CONCURRENCY);
  return print([configRow, ...results]);
}

function buildChecks(context: DoctorContext, families: ReadonlySet<CheckFamily>, deps: DoctorDeps): DoctorCheck[] {
  const byFamily: Record<CheckFamily, () => DoctorCheck[]> = {
    ffmpeg: () => [ffmpegCheck(context)],
    hwdecode: () => hwDecodeChecks(context, deps.hwDecode),
    models: () => modelChecks(context, deps.models),
    cameras: () => cameraChecks(context),
    brokers: () => brokerChecks(context),
    storage: () => storageChecks(context, deps.storage),
    clock: () => [clockCheck(context, deps.clock)],
    metrics: () => [metricsPortCheck(context)],
  };
  return CHECK_FAMILIES.filter((family) => families.has(family)).flatMap((family) => byFamily[family]());
}

function findFfmpeg(config: SiteConfig, io: CommandIo): DoctorContext['ffmpeg'] {
  try {
    return { path: resolveFfmpegPath({ configured: config.ffmpegPath, env: io.env, logger: io.logger }) };
  } catch (error) {
    return { error: toError(error).message };
  }
}

function configFailure(error: unknown): DoctorResult {
  const message = toError(error).message;
  const [head = message, ...rest] = message.split('\n').map((line) => line.trim());
  const problems = rest.filter((line) => line !== '');
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  const reason = problems.length > 0 ? `${head} ${problems[0]}${more}` : head;
  const code = error instanceof AgentError ? ` [${error.code}]` : '';
  return { id: 'config', title: 'config', status: 'fail', reason: `${reason}${code}`, ...(problems.length > 0 ? { details: problems } : {}) };
}

function selectFamilies(options: DoctorOptions): Set<CheckFamily> {
  if (options.only !== undefined && options.skip !== undefined) throw new AgentError('usage', 'use either --only or --skip, not both');
  const parse = (names: readonly string[], flag: string): CheckFamily[] =>
    names.map((name) => {
      if (!(CHECK_FAMILIES as readonly string[]).includes(name)) {
        throw new AgentError('usage', `${flag}: unknown check "${name.slice(0, 40)}"; the checks are ${CHECK_FAMILIES.join(', ')}`);
      }
      return name as CheckFamily;
    });
  if (options.only !== undefined) return new Set(parse(options.only, '--only'));
  const skipped = new Set(parse(options.skip ?? [], '--skip'));
  return new Set(CHECK_FAMILIES.filter((family) => !skipped.has(family)));
}

function seconds(value: number | undefined, fallback: number, flag: string): number {
  const chosen = value ?? fallback;
  if (!(Number.isFinite(chosen) && chosen > 0 && chosen <= MAX_TIMEOUT_SECONDS)) {
    throw new AgentError('usage', `${flag} must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}`);
  }
  return Math.round(chosen * 1000);
}
