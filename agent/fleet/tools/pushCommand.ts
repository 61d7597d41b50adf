import { randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { AgentError, ConfigError } from '../../../pipelines/errors.js';
import { parseShare, parseWaveShares, planWaves } from '../../../pipelines/fleet/rolloutWaves.js';
import type { CommandIo } from '../../cli/CommandIo.js';
import { EXIT } from '../../cli/exitCodes.js';
import { loadModelLabels } from '../../config/loadModelLabels.js';
import { readBoundedFile } from '../../config/readBoundedFile.js';
import { sha256Hex } from '../../sha256Hex.js';
import { parseExpiresIn } from '../fleetCommands.js';
import { formatFleetIssue, loadFleetRepo, type RenderedSite } from '../repo/loadFleetRepo.js';
import { siteConfigText } from '../repo/siteConfigText.js';
import { readPrivateKey, signEnvelope } from '../signing.js';
import { resolveSigningKeyId } from '../signingKeyId.js';
import { connectFleetBroker, type FleetBrokerOptions } from './connectFleetBroker.js';
import { FleetStateCollector } from './FleetStateCollector.js';
import { PushedArchive } from './PushedArchive.js';
import { newRolloutId, RolloutJournal, ROLLOUT_SCHEMA, type RolloutJournalData } from './RolloutJournal.js';
import { runRollout } from './runRollout.js';
import { highestVersionSeen, isUntouched, pushReport, sayDryRun } from './pushReport.js';

export interface PushOptions extends Omit<FleetBrokerOptions, 'broker'> {
  readonly repo: string;
  /** needed unless --dry-run (then it only finds the untouched sites) */
  readonly broker?: string;
  readonly key?: string;
  readonly keyId?: string;
  readonly trusted?: string;
  /** comma-separated site ids; default every site of the repository */
  readonly sites?: string;
  readonly canary?: string;
  readonly waves?: string;
  readonly waveDeadline?: string;
  readonly maxFailures?: string;
  readonly expiresIn?: string;
  readonly version?: number;
  readonly state?: string;
  readonly dryRun?: boolean;
  /** a rollout id or `latest` */
  readonly resume?: string;
  readonly json?: boolean;
}

export const PUSH_DEFAULTS = { canary: '1%', waves: '10%,50%,100%', waveDeadline: '10m', maxFailures: '0', expiresIn: '7d' } as const;

/** The broker's retained reports arrive in a burst after SUBACK; this much quiet means they are in. */
const SETTLE_QUIET_MS = 1_000;
const SETTLE_MAX_MS = 60_000;
const CONNECT_TIMEOUT_MS = 10_000;
const MAX_KEY_BYTES = 64 * 1024;
/** Issues printed before the rest are only counted. */
const MAX_ISSUES_SHOWN = 50;

/**
 * `c5-agent fleet push` (README, "Fleet operations → push"): renders the repository's sites,
 * skips those already running exactly that content, signs each site's text with one new version,
 * and publishes the envelopes retained in waves (canary first), each waiting for the sites'
 * `config/state` before the next; halts (exit 1) when a wave fails more sites than allowed.
 * `--resume` continues an interrupted rollout from its journal; `--dry-run` only prints the waves.
 */
export async function pushCommand(options: PushOptions, io: CommandIo): Promise<number> {
  const stateDir = options.state ?? join(options.repo, '.c5-fleet');
  const journal = new RolloutJournal(stateDir);
  const archive = new PushedArchive(stateDir);
  const say = (line: string): unknown => (options.json === true ? io.err : io.out).write(`${line}\n`);

  if (options.resume !== undefined) return resumePush(options, io, journal, archive, say);

  // Every flag is checked before anything is read or connected.
  const canary = parseShare(options.canary ?? PUSH_DEFAULTS.canary, '--canary');
  const waveShares = parseWaveShares(options.waves ?? PUSH_DEFAULTS.waves);
  const waveDeadlineMs = durationMs(options.waveDeadline ?? PUSH_DEFAULTS.waveDeadline, '--wave-deadline');
  const maxFailures = options.maxFailures ?? PUSH_DEFAULTS.maxFailures;
  parseShare(maxFailures, '--max-failures', { allowZero: true });
  const lifetimeMs = parseExpiresIn(options.expiresIn ?? PUSH_DEFAULTS.expiresIn);
  if (options.dryRun !== true) {
    if (options.broker === undefined) throw new AgentError('usage', '--broker is needed to push (or use --dry-run)');
    if (options.key === undefined) throw new AgentError('usage', '--key is needed to sign the push (or use --dry-run)');
  }

  const sites = selectSites(options, io, await loadModelLabels());
  if (sites === undefined) return EXIT.failure;
  const signer = options.dryRun === true ? undefined : loadSigner(options, io);

  const client =
    options.broker === undefined
      ? undefined
      : await connectFleetBroker({ ...options, broker: options.broker }, io.env, { clientIdPrefix: 'c5-fleet-push', timeoutMs: CONNECT_TIMEOUT_MS });
  try {
    const collector = client === undefined ? undefined : new FleetStateCollector(client, { prefix: options.prefix });
    if (collector) {
      await collector.start();
      await collector.settle(SETTLE_QUIET_MS, SETTLE_MAX_MS);
    }
    const views = collector?.sites ?? new Map();
    const seen = highestVersionSeen(views);
    const version = options.version ?? 1 + Math.max(journal.highestVersion(), seen);
    if (options.version !== undefined && options.version <= seen) {
      throw new AgentError(
        'usage',
        `--config-version ${options.version} is not above version ${seen}, which a site already reports; sites would refuse it as stale`,
      );
    }
    const untouched = sites.filter((site) => isUntouched(site, views.get(site.siteId)));
    const untouchedIds = new Set(untouched.map((site) => site.siteId));
    const changed = sites.filter((site) => !untouchedIds.has(site.siteId));
    const rolloutId = newRolloutId(Date.now(), randomBytes(3).toString('hex'));
    const order = (siteId: string): string => sha256Hex(`${rolloutId}${siteId}`);
    const ordered = changed.map((site) => ({ siteId: site.siteId, key: order(site.siteId) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const waves = planWaves(
      ordered.map((entry) => entry.siteId),
      canary,
      waveShares,
    );
    const data: RolloutJournalData = {
      schema: ROLLOUT_SCHEMA,
      rolloutId,
      version,
      createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      prefix: options.prefix,
      keyId: signer?.keyId ?? 'dry-run',
      expiresAt: lifetimeMs === undefined ? null : new Date(Date.now() + lifetimeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      waveDeadlineMs,
      maxFailures,
      texts: {},
      untouched: untouched.map((site) => site.siteId).sort(),
      waves: waves.map((siteIds, i) => ({ index: i + 1, sites: siteIds, state: 'planned', applied: [], failed: [], pendingOffline: [] })),
      halted: false,
    };
    if (options.dryRun === true) {
      if (client === undefined) say('no --broker: every site counts as changed (untouched sites are found only against the sites’ reports)');
      sayDryRun(data, say);
      if (options.json === true) io.out.write(`${JSON.stringify({ ...pushReport(data), dryRun: true })}\n`);
      return EXIT.ok;
    }
    if (data.waves.length === 0) {
      say(`nothing to push: all ${sites.length} sites already run their rendered config`);
      if (options.json === true) io.out.write(`${JSON.stringify(pushReport(data))}\n`);
      return EXIT.ok;
    }
    const texts: Record<string, string> = {};
    for (const site of changed) texts[site.siteId] = archive.put(siteConfigText(site, version));
    data.texts = texts;
    await journal.save(data);
    say(
      `rollout ${rolloutId}: version ${version} to ${changed.length} sites in ${data.waves.length} waves ` +
        `(canary ${data.waves[0]!.sites.length}), ${untouched.length} untouched; resume with --resume ${rolloutId}`,
    );
    return await finish(data, { client: client!, collector: collector!, journal, archive, signer: signer!, say, io, json: options.json === true });
  } finally {
    client?.end(false);
  }
}

async function resumePush(
  options: PushOptions,
  io: CommandIo,
  journal: RolloutJournal,
  archive: PushedArchive,
  say: (line: string) => unknown,
): Promise<number> {
  if (options.broker === undefined || options.key === undefined)
    throw new AgentError('usage', '--resume needs --broker and --key (the envelopes are signed again, byte for byte)');
  if (options.dryRun === true) throw new AgentError('usage', '--resume and --dry-run do not go together');
  const data = journal.load(options.resume!);
  if (data.halted) {
    throw new AgentError('rollout_halted', `rollout ${data.rolloutId} halted; fix the failing sites and push again (a new version), rather than resume it`);
  }
  if (data.expiresAt !== null && Date.parse(data.expiresAt) <= Date.now()) {
    throw new AgentError('rollout_expired', `rollout ${data.rolloutId}: its envelopes expired at ${data.expiresAt}; push again (a new version)`);
  }
  if (options.prefix !== data.prefix)
    throw new AgentError('usage', `rollout ${data.rolloutId} was pushed under prefix "${data.prefix}", not "${options.prefix}"`);
  const signer = loadSigner({ ...options, keyId: data.keyId }, io);
  const done = data.waves.filter((wave) => wave.state === 'completed').length;
  say(`resuming rollout ${data.rolloutId}: version ${data.version}, ${done} of ${data.waves.length} waves done`);
  const client = await connectFleetBroker({ ...options, broker: options.broker }, io.env, { clientIdPrefix: 'c5-fleet-push', timeoutMs: CONNECT_TIMEOUT_MS });
  try {
    const collector = new FleetStateCollector(client, { prefix: data.prefix });
    await collector.start();
    await collector.settle(SETTLE_QUIET_MS, SETTLE_MAX_MS);
    return await finish(data, { client, collector, journal, archive, signer, say, io, json: options.json === true });
  } finally {
    client.end(false);
  }
}

interface Signer {
  readonly keyId: string;
  readonly privateKey: KeyObject;
}

async function finish(
  data: RolloutJournalData,
  deps: {
    client: MqttClient;
    collector: FleetStateCollector;
    journal: RolloutJournal;
    archive: PushedArchive;
    signer: Signer;
    say: (line: string) => unknown;
    io: CommandIo;
    /** print the report as one JSON document on stdout */
    json: boolean;
  },
): Promise<number> {
  const expiresAt = data.expiresAt === null ? undefined : new Date(data.expiresAt);
  const envelopeOf = (siteId: string): Buffer => {
    const sha256 = data.texts[siteId];
    const text = sha256 === undefined ? undefined : deps.archive.get(sha256);
    if (text === undefined) throw new AgentError('state_unreadable', `the config text for ${siteId} (${sha256 ?? 'none'}) is missing from the pushed/ archive`);
    const envelope = signEnvelope({
      payload: Buffer.from(text, 'utf8'),
      privateKey: deps.signer.privateKey,
      keyId: data.keyId,
      ...(expiresAt ? { expiresAt } : {}),
    });
    return Buffer.from(JSON.stringify(envelope));
  };
  await runRollout(data, { client: deps.client, collector: deps.collector, journal: deps.journal, envelopeOf, say: (line) => void deps.say(line) });
  const waves = data.waves;
  const applied = waves.reduce((sum, wave) => sum + wave.applied.length, 0);
  const pending = waves.reduce((sum, wave) => sum + wave.pendingOffline.length, 0);
  if (!data.halted) {
    deps.say(`done: rollout ${data.rolloutId}, version ${data.version}: ${applied} applied, ${pending} pending (offline), ${data.untouched.length} untouched`);
  }
  if (deps.collector.ignored > 0) deps.say(`${deps.collector.ignored} messages on the sites' topics were not valid reports and were ignored`);
  if (data.halted) deps.say(`rollout ${data.rolloutId} halted; sites not yet pushed keep their config`);
  if (deps.json) deps.io.out.write(`${JSON.stringify(pushReport(data, deps.collector.ignored))}\n`);
  return data.halted ? EXIT.failure : EXIT.ok;
}

/** The sites to push: every valid one, or those of --sites; undefined (after printing why) when the repository has errors that concern them. */
function selectSites(options: PushOptions, io: CommandIo, models: Awaited<ReturnType<typeof loadModelLabels>>): RenderedSite[] | undefined {
  const repo = loadFleetRepo(options.repo, { models });
  const wanted = options.sites === undefined ? undefined : new Set(options.sites.split(',').map((id) => id.trim()));
  const issues = repo.issues.filter((issue) => wanted === undefined || issue.siteId === undefined || wanted.has(issue.siteId));
  const sites = repo.sites.filter((site) => wanted === undefined || wanted.has(site.siteId));
  const noFleet = sites.filter((site) => site.config.fleet === undefined);
  if (issues.length > 0 || noFleet.length > 0) {
    for (const issue of issues.slice(0, MAX_ISSUES_SHOWN)) io.err.write(`${formatFleetIssue(issue)}\n`);
    if (issues.length > MAX_ISSUES_SHOWN) io.err.write(`... and ${issues.length - MAX_ISSUES_SHOWN} more (c5-agent fleet validate lists them all)\n`);
    for (const site of noFleet.slice(0, MAX_ISSUES_SHOWN))
      io.err.write(`${site.siteId}: ${site.file}: fleet: a pushed config must keep the fleet section, or the site could take no further pushes\n`);
    io.err.write(`nothing pushed: the repository has ${issues.length + noFleet.length} problem(s) in the sites to push\n`);
    return undefined;
  }
  if (wanted !== undefined) {
    const known = new Set(sites.map((site) => site.siteId));
    const unknown = [...wanted].filter((id) => !known.has(id));
    if (unknown.length > 0)
      throw new AgentError('usage', `--sites: no such site in the repository: ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ', ...' : ''}`);
  }
  if (sites.length === 0) throw new ConfigError('fleet_empty', `${options.repo}: no site to push (sites/ is empty)`);
  return sites;
}

function loadSigner(options: PushOptions, io: CommandIo): Signer {
  const keyPath = options.key!;
  const read = readBoundedFile(keyPath, MAX_KEY_BYTES);
  if (!read.ok) throw new ConfigError('unreadable', `cannot read signing key ${keyPath} (${read.reason})`);
  const privateKey = readPrivateKey(read.bytes.toString('utf8'), keyPath);
  const { keyId, warning } = resolveSigningKeyId({ privateKey, keyPath, keyId: options.keyId, trusted: options.trusted, now: Date.now() });
  if (warning !== undefined) io.err.write(`${warning}\n`);
  return { keyId, privateKey };
}

/** `90s`, `30m`, `24h`, `7d` in milliseconds (the grammar of --expires-in, without `none`). */
export function durationMs(text: string, flag: string): number {
  let ms: number | undefined;
  try {
    ms = text === 'none' ? undefined : parseExpiresIn(text);
  } catch {
    ms = undefined;
  }
  if (ms === undefined || ms === 0) throw new AgentError('usage', `${flag} "${text.slice(0, 20)}": expected a number and s, m, h or d, such as 90s or 10m`);
  return ms;
}
